"""Teaching helpers: the figures, animations, demos and tables the chapters show.

Nothing in the core library imports this package; it exists so a chapter can
show an idea in one line instead of a screen of plotting code. Each module's
docstring names the chapters that use it.

=================  =============================================================
``plotting``       images, channels, batches, feature maps, tensor drawings
``conv_demo``      animated sliding-window convolution (chapter 3)
``pool_demo``      pooling windows, animations and grids (chapter 5)
``tensors``        channels-first/last views, strides (chapter 1)
``signal1d``       1-D convolution and correlation, discrete and continuous (chapter 2)
``filters``        hand-designed 3x3 filters (chapters 3-5)
``layer_cost``     shapes, multiply-adds, memory and receptive fields (chapters 4-6)
``resample``       upsampling and the error of a downsampled map (chapter 5)
``timing``         best-of-n timing for speed comparisons (chapters 0, 1, 3)
=================  =============================================================
"""
