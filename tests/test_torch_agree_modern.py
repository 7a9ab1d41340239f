"""The layers added for modern networks give PyTorch's numbers (skipped without torch).

Weights are copied across through ``state_dict`` (same keys, same layouts),
then forward values, input and parameter gradients, running statistics and
default initialisation ranges are compared.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
tF = torch.nn.functional

import cnnlib  # noqa: E402
from cnnlib import nn  # noqa: E402
from cnnlib.models import BasicBlock  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")

DTYPES = [np.float32, np.float64]


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def T(a, grad: bool = False):
    return torch.tensor(np.asarray(a), requires_grad=grad)


def tol(dtype) -> dict:
    return {"rtol": 1e-4, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-10, "atol": 1e-12}


def copy_to_torch(ours: nn.Module, theirs, dtype):
    """Load our state_dict into a torch module: a plain key-for-key copy."""
    theirs.to(torch.float32 if dtype == np.float32 else torch.float64)
    theirs.load_state_dict({k: torch.tensor(np.asarray(v)) for k, v in ours.state_dict().items()})
    return theirs


def assert_same_gradients(ours: nn.Module, theirs, dtype) -> None:
    grads = {name: p.grad.numpy() for name, p in theirs.named_parameters()}
    for name, p in ours.named_parameters():
        want = grads[name]
        # a parameter's gradient sums over the batch: in float32 both libraries round
        # that sum, by about 1e-7 of its terms' magnitude (checked against float64)
        scale = {"atol": max(1e-5, 2e-6 * np.abs(want).max())} if dtype == np.float32 else {}
        np.testing.assert_allclose(p.grad, want, **{**tol(dtype), **scale}, err_msg=name)


def run_both(ours, theirs, x, dtype, seed=0):
    """Forward and backward through both with the same grad_out; returns our input gradient."""
    tx = T(x, True)
    ty = theirs(tx)
    y = ours(x)
    np.testing.assert_allclose(y, ty.detach().numpy(), **tol(dtype))
    g = np.random.default_rng(seed).normal(size=y.shape).astype(dtype)
    ty.backward(T(g))
    gx = ours.backward(g)
    np.testing.assert_allclose(gx, tx.grad.numpy(), **tol(dtype))
    assert_same_gradients(ours, theirs, dtype)


# --------------------------------------------------------------------------
# convolutions

CONV1D = [dict(kernel=3, stride=1, padding=0), dict(kernel=4, stride=2, padding=1),
          dict(kernel=3, stride=1, padding="same"), dict(kernel=2, stride=1, padding="same"),
          dict(kernel=5, stride=3, padding="valid")]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CONV1D, ids=str)
def test_conv1d(case, dtype):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 3, 11)).astype(dtype)
    ours = nn.Conv1d(3, 4, case["kernel"], stride=case["stride"], padding=case["padding"], rng=rng, dtype=dtype)
    theirs = copy_to_torch(ours, torch.nn.Conv1d(3, 4, case["kernel"], stride=case["stride"],
                                                 padding=case["padding"]), dtype)
    run_both(ours, theirs, x, dtype)
    # and the functional form
    w, b = ours.weight.data, ours.bias.data
    np.testing.assert_allclose(cnnlib.conv1d(x, w, b, case["stride"], case["padding"]),
                               tF.conv1d(T(x), T(w), T(b), stride=case["stride"], padding=case["padding"]).numpy(),
                               **tol(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("c_in, c_out, groups, kernel, stride, padding", [
    (4, 6, 2, 3, 1, 1), (6, 6, 3, (2, 3), 2, 0), (4, 4, 4, 3, 1, 1), (3, 6, 3, 3, 2, 1)])
def test_grouped_conv2d(c_in, c_out, groups, kernel, stride, padding, dtype):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, c_in, 7, 6)).astype(dtype)
    ours = nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, groups=groups, rng=rng, dtype=dtype)
    theirs = copy_to_torch(ours, torch.nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding,
                                                 groups=groups), dtype)
    run_both(ours, theirs, x, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kernel, stride, padding, bias", [
    (3, 1, 0, True), (3, 2, 1, True), ((2, 3), (2, 1), (0, 1), False), (4, 2, 1, True), (1, 3, 0, True)])
def test_conv_transpose2d(kernel, stride, padding, bias, dtype):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 3, 5, 4)).astype(dtype)
    ours = nn.ConvTranspose2d(3, 2, kernel, stride=stride, padding=padding, bias=bias, rng=rng, dtype=dtype)
    theirs = copy_to_torch(ours, torch.nn.ConvTranspose2d(3, 2, kernel, stride=stride, padding=padding,
                                                          bias=bias), dtype)
    run_both(ours, theirs, x, dtype)


def test_default_init_ranges_match_torch():
    torch.manual_seed(0)
    pairs = [(nn.Conv1d(8, 16, 5, rng=np.random.default_rng(0)), torch.nn.Conv1d(8, 16, 5)),
             (nn.Conv2d(32, 64, 3, groups=8, rng=np.random.default_rng(0)), torch.nn.Conv2d(32, 64, 3, groups=8)),
             (nn.ConvTranspose2d(16, 24, 4, rng=np.random.default_rng(0)), torch.nn.ConvTranspose2d(16, 24, 4))]
    for ours, theirs in pairs:
        # torch's own fan rule: its default bound is 1/sqrt(fan_in) for the weight and the bias
        bound = 1 / np.sqrt(torch.nn.init._calculate_fan_in_and_fan_out(theirs.weight)[0])
        for name, p in ours.named_parameters():
            t = getattr(theirs, name).detach().numpy()
            assert p.shape == t.shape, name
            assert np.abs(t).max() <= bound * (1 + 1e-6), "the bound itself is wrong"
            assert np.abs(p.data).max() <= bound * (1 + 1e-6), (type(ours).__name__, name)
            if p.data.size >= 500:  # enough draws to come close to the bound
                assert np.abs(p.data).max() > 0.98 * bound, (type(ours).__name__, name)


@pytest.mark.parametrize("shape", [(64, 32, 3, 3), (200, 300), (16, 8, 5)])
def test_init_functions_match_torch_statistics(shape):
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    for ours_fn, theirs_fn, kwargs in [
        (nn.init.kaiming_normal_, torch.nn.init.kaiming_normal_, {}),
        (nn.init.kaiming_normal_, torch.nn.init.kaiming_normal_, {"mode": "fan_out", "nonlinearity": "relu"}),
        (nn.init.kaiming_normal_, torch.nn.init.kaiming_normal_, {"a": 0.3}),
        (nn.init.xavier_uniform_, torch.nn.init.xavier_uniform_, {"gain": 1.5}),
    ]:
        ours = ours_fn(np.zeros(shape), rng=rng, **kwargs)
        theirs = theirs_fn(torch.zeros(shape, dtype=torch.float64), **kwargs).numpy()
        # same distribution: standard deviations within sampling error (~1/sqrt(2n) each)
        assert ours.std() == pytest.approx(theirs.std(), rel=6 / np.sqrt(ours.size)), (ours_fn.__name__, kwargs)


# --------------------------------------------------------------------------
# pooling


@pytest.mark.parametrize("values", ["normal", "ties"])
@pytest.mark.parametrize("kernel, stride, padding", [(2, None, 0), (3, 2, 1), (3, 1, 1), (4, 3, 2)])
def test_max_pool1d(kernel, stride, padding, values):
    rng = np.random.default_rng(4)
    x = rng.integers(0, 3, size=(2, 3, 11)).astype(np.float64) if values == "ties" else rng.normal(size=(2, 3, 11))
    run_both(nn.MaxPool1d(kernel, stride, padding), torch.nn.MaxPool1d(kernel, stride, padding).double(), x,
             np.float64)


@pytest.mark.parametrize("values", ["normal", "ties"])
@pytest.mark.parametrize("length, out", [(7, 1), (7, 3), (8, 4), (5, 5), (3, 7), (10, 4)])
def test_adaptive_max_pool1d(length, out, values):
    rng = np.random.default_rng(5)
    x = rng.integers(0, 3, size=(2, 3, length)).astype(np.float64) if values == "ties" \
        else rng.normal(size=(2, 3, length))
    run_both(nn.AdaptiveMaxPool1d(out), torch.nn.AdaptiveMaxPool1d(out), x, np.float64)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size, out", [((7, 7), 1), ((7, 9), 3), ((8, 8), (2, 4)), ((5, 6), (7, 2)), ((6, 4), (6, 4))])
def test_adaptive_avg_pool2d(size, out, dtype):
    x = np.random.default_rng(6).normal(size=(2, 3) + size).astype(dtype)
    run_both(nn.AdaptiveAvgPool2d(out), torch.nn.AdaptiveAvgPool2d(out), x, dtype)


# --------------------------------------------------------------------------
# batch norm


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cls, shape, momentum", [
    ("BatchNorm2d", (8, 3, 5, 4), 0.1), ("BatchNorm2d", (4, 2, 3, 3), None), ("BatchNorm2d", (64, 16, 14, 14), 0.3),
    ("BatchNorm1d", (6, 4), 0.1), ("BatchNorm1d", (5, 3, 7), 0.1)])
def test_batch_norm_training_and_eval(cls, shape, momentum, dtype):
    rng = np.random.default_rng(7)
    c = shape[1]
    ours = getattr(nn, cls)(c, momentum=momentum, dtype=dtype)
    ours.weight.data[:] = rng.uniform(0.5, 1.5, c)
    ours.bias.data[:] = rng.normal(size=c)
    theirs = copy_to_torch(ours, getattr(torch.nn, cls)(c, momentum=momentum), dtype)
    for step in range(4):  # several training steps, each with fresh gradients
        ours.zero_grad()
        theirs.zero_grad()
        x = (rng.normal(size=shape) * (1 + step) + step).astype(dtype)
        run_both(ours, theirs, x, dtype, seed=step)
    their_state = theirs.state_dict()
    for key, value in ours.state_dict().items():
        assert value.dtype == their_state[key].numpy().dtype, key
        np.testing.assert_allclose(value, their_state[key].numpy(), **tol(dtype), err_msg=key)
    assert int(ours.num_batches_tracked) == int(their_state["num_batches_tracked"]) == 4
    ours.eval()
    theirs.eval()
    ours.zero_grad()
    theirs.zero_grad()
    run_both(ours, theirs, rng.normal(size=shape).astype(dtype), dtype, seed=9)


def test_batch_norm_state_dict_keys_and_dtypes_match_torch():
    ours, theirs = nn.BatchNorm2d(5), torch.nn.BatchNorm2d(5)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        assert ours.state_dict()[key].dtype == value.numpy().dtype and ours.state_dict()[key].shape == value.shape
        np.testing.assert_array_equal(ours.state_dict()[key], value.numpy())


# --------------------------------------------------------------------------
# dropout, embedding, activations, loss


def test_dropout_scaling_and_eval_match_torch():
    x = np.ones((200, 100))
    theirs = torch.nn.Dropout(0.3)
    ours = nn.Dropout(0.3, rng=np.random.default_rng(8))
    # different generators: compare the values that can occur, not the masks
    assert set(np.unique(ours(x)).round(12)) == set(np.unique(theirs(T(x)).numpy()).round(12)) == {0.0, round(1 / 0.7, 12)}
    ours.eval(), theirs.eval()
    np.testing.assert_array_equal(ours(x), theirs(T(x)).numpy())


@pytest.mark.parametrize("dtype", DTYPES)
def test_embedding(dtype):
    ours = nn.Embedding(6, 4, rng=np.random.default_rng(9), dtype=dtype)
    theirs = copy_to_torch(ours, torch.nn.Embedding(6, 4), dtype)
    idx = np.array([[0, 5, 5, 2], [2, 2, 1, 0]])
    y, ty = ours(idx), theirs(torch.tensor(idx))
    np.testing.assert_array_equal(y, ty.detach().numpy())
    g = np.random.default_rng(10).normal(size=y.shape).astype(dtype)
    ty.backward(T(g))
    assert ours.backward(g) is None
    assert_same_gradients(ours, theirs, dtype)


@pytest.mark.parametrize("ours, theirs", [(nn.Sigmoid(), torch.nn.Sigmoid()),
                                          (nn.LeakyReLU(), torch.nn.LeakyReLU()),
                                          (nn.LeakyReLU(0.3), torch.nn.LeakyReLU(0.3))], ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
def test_activations(ours, theirs, dtype):
    x = (np.random.default_rng(11).normal(size=(4, 5)) * 10).astype(dtype)
    x[0, :3] = [0.0, -200.0, 200.0]
    run_both(ours, theirs, x, dtype)


def test_mse_loss():
    rng = np.random.default_rng(12)
    pred, target = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    tp = T(pred, True)
    tloss = tF.mse_loss(tp, T(target))
    tloss.backward()
    loss_fn = nn.MSELoss()
    assert loss_fn(pred, target) == pytest.approx(tloss.item(), rel=1e-12)
    np.testing.assert_allclose(loss_fn.backward(), tp.grad.numpy(), rtol=1e-12, atol=1e-15)


# --------------------------------------------------------------------------
# the residual block


class TorchBasicBlock(torch.nn.Module):
    """torchvision.models.resnet.BasicBlock, written out (torchvision is not required)."""

    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(planes)
        self.relu = torch.nn.ReLU(inplace=True)
        self.conv2 = torch.nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = torch.nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = torch.nn.Sequential(
                torch.nn.Conv2d(inplanes, planes, 1, stride=stride, bias=False), torch.nn.BatchNorm2d(planes))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + identity)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("inplanes, planes, stride", [(4, 4, 1), (4, 8, 2), (3, 5, 1)])
def test_basic_block(inplanes, planes, stride, dtype):
    rng = np.random.default_rng(13)
    ours = BasicBlock(inplanes, planes, stride, rng=rng, dtype=dtype)
    theirs = TorchBasicBlock(inplanes, planes, stride)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    copy_to_torch(ours, theirs, dtype)
    for step in range(2):
        ours.zero_grad()
        theirs.zero_grad()
        run_both(ours, theirs, rng.normal(size=(4, inplanes, 8, 8)).astype(dtype), dtype, seed=step)
    their_state = theirs.state_dict()
    for key, value in ours.state_dict().items():
        np.testing.assert_allclose(value, their_state[key].numpy(), **tol(dtype), err_msg=key)
    ours.eval(), theirs.eval()
    ours.zero_grad()
    theirs.zero_grad()
    run_both(ours, theirs, rng.normal(size=(2, inplanes, 8, 8)).astype(dtype), dtype)


def test_basic_block_keys_match_torchvision_itself():
    resnet = pytest.importorskip("torchvision.models.resnet")
    for inplanes, planes, stride in [(64, 64, 1), (64, 128, 2)]:
        downsample = None
        if stride != 1 or inplanes != planes:
            downsample = torch.nn.Sequential(resnet.conv1x1(inplanes, planes, stride), torch.nn.BatchNorm2d(planes))
        theirs = resnet.BasicBlock(inplanes, planes, stride, downsample)
        assert list(BasicBlock(inplanes, planes, stride).state_dict()) == list(theirs.state_dict())


def test_a_model_of_every_new_layer_has_torchs_keys():
    rng = np.random.default_rng(14)
    ours = nn.Sequential(nn.Embedding(10, 4, rng=rng), nn.Flatten(), nn.Linear(12, 6, rng=rng), nn.BatchNorm1d(6),
                         nn.LeakyReLU(), nn.Dropout(0.2), nn.Linear(6, 2, rng=rng), nn.Sigmoid())
    theirs = torch.nn.Sequential(torch.nn.Embedding(10, 4), torch.nn.Flatten(), torch.nn.Linear(12, 6),
                                 torch.nn.BatchNorm1d(6), torch.nn.LeakyReLU(), torch.nn.Dropout(0.2),
                                 torch.nn.Linear(6, 2), torch.nn.Sigmoid())
    assert list(ours.state_dict()) == list(theirs.state_dict())
    convs = nn.Sequential(nn.Conv1d(2, 4, 3), nn.BatchNorm1d(4), nn.MaxPool1d(2), nn.AdaptiveMaxPool1d(1))
    tconvs = torch.nn.Sequential(torch.nn.Conv1d(2, 4, 3), torch.nn.BatchNorm1d(4), torch.nn.MaxPool1d(2),
                                 torch.nn.AdaptiveMaxPool1d(1))
    assert list(convs.state_dict()) == list(tconvs.state_dict())
