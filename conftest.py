"""Repository-wide pytest setup.

Loads tests/nbval_figures.py, which compares every notebook figure (and
animation frame) during the nbval run, so the chapters' pictures are held to
their code just like their printed output. It lives here, at the root, because
the notebooks in chapters/ are outside tests/.
"""

pytest_plugins = ["tests.nbval_figures"]
