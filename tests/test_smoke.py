"""The public API of cnnlib exists with its exact (PyTorch) names."""

import cnnlib


def test_contract_names_exist():
    for name in ["conv_output_size", "conv2d", "conv2d_backward", "max_pool2d",
                 "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward"]:
        assert callable(getattr(cnnlib, name)), name
        if name != "conv_output_size":
            assert callable(getattr(cnnlib.reference, name)), name
    for name in ["Conv2d", "MaxPool2d", "AvgPool2d", "ReLU", "Tanh", "Flatten", "Linear",
                 "Sequential", "CrossEntropyLoss", "Parameter"]:
        assert hasattr(cnnlib.nn, name), name
    assert hasattr(cnnlib.optim, "SGD") and hasattr(cnnlib.optim, "Adam")
