"""cnnlib.evaluate against independent counts: plain loops, scikit-learn, hand-worked cases."""

from __future__ import annotations

from collections import Counter

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from cnnlib import evaluate as E


def loop_confusion(y_true, y_pred, c):
    counts = Counter(zip(map(int, y_true), map(int, y_pred)))
    return np.array([[counts[(i, j)] for j in range(c)] for i in range(c)])


def test_hand_worked_example():
    # (true, predicted): (0,0) (1,2) (2,2) (2,1)
    cm = E.confusion_matrix([0, 1, 2, 2], [0, 2, 2, 1])
    assert cm.tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 1]]
    assert cm.dtype == np.int64


@pytest.mark.parametrize("seed", range(5))
def test_matches_loop_count_and_sklearn(seed):
    rng = np.random.default_rng(seed)
    c = int(rng.integers(2, 12))
    n = int(rng.integers(1, 400))
    y_true = rng.integers(0, c, size=n)
    # mostly right, sometimes wrong: a realistic classifier
    y_pred = np.where(rng.uniform(size=n) < 0.8, y_true, rng.integers(0, c, size=n))
    cm = E.confusion_matrix(y_true, y_pred, num_classes=c)
    assert np.array_equal(cm, loop_confusion(y_true, y_pred, c))
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    assert np.array_equal(cm, sklearn_metrics.confusion_matrix(y_true, y_pred, labels=range(c)))
    assert cm.sum() == n
    assert np.trace(cm) == np.sum(y_true == y_pred)


def test_absent_classes_get_zero_rows_and_columns():
    cm = E.confusion_matrix([1, 1], [1, 1], num_classes=4)
    expected = np.zeros((4, 4), dtype=int)
    expected[1, 1] = 2
    assert np.array_equal(cm, expected)
    # without num_classes, the largest index seen decides the size
    assert E.confusion_matrix([1, 1], [1, 3]).shape == (4, 4)


def test_empty_input_with_num_classes():
    assert np.array_equal(E.confusion_matrix(np.array([], dtype=int), np.array([], dtype=int), 3),
                          np.zeros((3, 3), dtype=int))


@pytest.mark.parametrize("y_true, y_pred, num_classes, error, words", [
    ([0, 1], [0], None, ValueError, "same samples"),
    ([0.0, 1.0], [0, 1], None, TypeError, "argmax"),
    ([True, False], [0, 1], None, TypeError, "integer class indices"),
    ([[0, 1]], [[0, 1]], None, ValueError, "1-D"),
    ([0, -1], [0, 1], None, ValueError, "negative"),
    ([0, 3], [0, 1], 3, ValueError, "num_classes=3"),
    ([0, 1], [0, 1], 0, ValueError, "num_classes must be >= 1"),
    ([0, 1], [0, 1], 2.0, TypeError, "num_classes must be an int"),
])
def test_bad_input_is_named(y_true, y_pred, num_classes, error, words):
    with pytest.raises(error, match=words):
        E.confusion_matrix(y_true, y_pred, num_classes)


def test_per_class_accuracy_hand_worked_and_sklearn():
    cm = np.array([[3, 1, 0], [0, 0, 0], [1, 1, 2]])
    acc = E.per_class_accuracy(cm)
    assert acc[0] == pytest.approx(0.75)
    assert np.isnan(acc[1])
    assert acc[2] == pytest.approx(0.5)
    rng = np.random.default_rng(9)
    y_true, y_pred = rng.integers(0, 5, 200), rng.integers(0, 5, 200)
    recall = pytest.importorskip("sklearn.metrics").recall_score(y_true, y_pred, average=None)
    assert np.allclose(E.per_class_accuracy(E.confusion_matrix(y_true, y_pred, 5)), recall)


def test_per_class_accuracy_rejects_non_square():
    with pytest.raises(ValueError, match="square"):
        E.per_class_accuracy(np.zeros((2, 3)))


def test_misclassified_indices():
    y_true = np.array([3, 1, 4, 1, 5, 9, 2, 6])
    y_pred = np.array([3, 7, 4, 1, 0, 9, 2, 5])
    assert E.misclassified(y_true, y_pred).tolist() == [1, 4, 7]
    assert E.misclassified(y_true, y_true).size == 0
    rng = np.random.default_rng(3)
    a, b = rng.integers(0, 3, 100), rng.integers(0, 3, 100)
    assert E.misclassified(a, b).tolist() == [i for i in range(100) if a[i] != b[i]]


def test_plot_writes_the_nonzero_counts():
    cm = np.array([[5, 0, 1], [0, 7, 0], [2, 0, 4]])
    fig, ax = E.plot_confusion_matrix(cm)
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == sorted(["5", "1", "7", "2", "4"])
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    plt.close(fig)
    fig, ax = E.plot_confusion_matrix(cm, hide_zeros=False, class_names="abc")
    assert len(ax.texts) == 9
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    plt.close(fig)


def test_plot_rejects_bad_shapes():
    with pytest.raises(ValueError, match="square"):
        E.plot_confusion_matrix(np.zeros((2, 3), dtype=int))
    with pytest.raises(ValueError, match="class_names"):
        E.plot_confusion_matrix(np.zeros((2, 2), dtype=int), class_names=["a"])
