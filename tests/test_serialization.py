"""cnnlib.serialization.save / load: state dicts as .npz files.

Round trips must give back the same keys in the same order, the same dtypes
(0-d int64 included) and the same values; bad input must be refused with a
message naming it; and a file holding pickled objects must be refused without
being unpickled.
"""

from __future__ import annotations

import os
import pickle
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest

from cnnlib.serialization import load, save


def assert_same_state(got: dict, want: dict) -> None:
    assert type(got) is dict
    assert list(got) == list(want)
    for key in want:
        want_arr = np.asarray(want[key])
        assert got[key].dtype == want_arr.dtype, key
        assert got[key].shape == want_arr.shape, key
        np.testing.assert_array_equal(got[key], want_arr, err_msg=key)


def test_round_trip_keeps_order_dtypes_and_values(tmp_path):
    rng = np.random.default_rng(0)
    state = {
        # deliberately not alphabetical: the order must be the dict's, not sorted
        "features.0.weight": rng.normal(size=(4, 1, 3, 3)).astype(np.float32),
        "features.0.bias": rng.normal(size=4).astype(np.float32),
        "bn1.running_var": rng.uniform(size=4),                    # float64
        "bn1.num_batches_tracked": np.array(12, dtype=np.int64),    # 0-d int64, as BatchNorm's
        "a.half": rng.normal(size=3).astype(np.float16),
        "mask": np.array([True, False, True]),
        "codes": np.arange(5, dtype=np.uint8),
        "spectrum": np.array([1 + 2j, -0.5j], dtype=np.complex64),
        "empty": np.zeros((0, 3), dtype=np.float32),
        "transposed": np.arange(6.0).reshape(2, 3).T,              # not C-contiguous
        "strided": np.arange(10, dtype=np.int32)[::3],
    }
    path = tmp_path / "model.npz"
    save(state, path)
    assert_same_state(load(path), state)


def test_numbers_become_0d_arrays(tmp_path):
    save({"i": 3, "f": 2.5, "b": True, "f32": np.float32(1.5), "i16": np.int16(-4)}, tmp_path / "n.npz")
    back = load(tmp_path / "n.npz")
    assert {k: (v.shape, v.dtype) for k, v in back.items()} == {
        "i": ((), np.int64), "f": ((), np.float64), "b": ((), np.bool_),
        "f32": ((), np.float32), "i16": ((), np.int16)}
    assert back["f"] == 2.5 and back["i16"] == -4


def test_unusual_keys_survive(tmp_path):
    # "file" and "allow_pickle" are numpy.savez's keyword names; "x.npy" ends like a member name
    state = {k: np.array(i) for i, k in enumerate(
        ["file", "allow_pickle", "a/b", "x.npy", "x", "", "ünï cødé", "layer.0.weight"])}
    save(state, tmp_path / "keys.npz")
    assert_same_state(load(tmp_path / "keys.npz"), state)


def test_empty_state_dict(tmp_path):
    save({}, tmp_path / "empty.npz")
    assert load(tmp_path / "empty.npz") == {}


def test_writes_exactly_the_given_path_as_str_or_pathlike(tmp_path):
    save({"w": np.ones(2)}, str(tmp_path / "checkpoint.ckpt"))
    assert sorted(os.listdir(tmp_path)) == ["checkpoint.ckpt"]  # no suffix added, no leftovers
    assert_same_state(load(Path(tmp_path / "checkpoint.ckpt")), {"w": np.ones(2)})


def test_overwrites_and_loaded_arrays_are_independent_of_the_file(tmp_path):
    path = tmp_path / "m.npz"
    save({"w": np.zeros(3)}, path)
    save({"w": np.ones(3), "b": np.zeros(1)}, path)
    back = load(path)
    os.remove(path)  # the file is closed; the arrays live in memory
    back["w"] += 1   # and are writeable
    assert_same_state(back, {"w": np.full(3, 2.0), "b": np.zeros(1)})


def test_reads_files_written_by_numpy_savez(tmp_path):
    np.savez(tmp_path / "np.npz", weight=np.ones((2, 2), np.float32), step=np.array(3))
    np.savez_compressed(tmp_path / "npc.npz", weight=np.ones(2))
    assert_same_state(load(tmp_path / "np.npz"), {"weight": np.ones((2, 2), np.float32), "step": np.array(3)})
    assert_same_state(load(tmp_path / "npc.npz"), {"weight": np.ones(2)})


def test_model_state_dict_round_trip(tmp_path):
    from cnnlib import nn
    model = nn.Sequential(nn.Conv2d(1, 2, 3, rng=np.random.default_rng(0)), nn.ReLU(), nn.Flatten(),
                          nn.Linear(8, 3, rng=np.random.default_rng(1)))
    state = model.state_dict()
    save(state, tmp_path / "model.npz")
    assert_same_state(load(tmp_path / "model.npz"), state)


# --------------------------------------------------------------------------
# bad input


class Holder:
    def state_dict(self):
        return {}


def test_save_refuses_non_dicts(tmp_path):
    with pytest.raises(TypeError, match=r"state_dict must be a dict of name -> array .* got list"):
        save([np.ones(2)], tmp_path / "x.npz")
    with pytest.raises(TypeError, match=r"got Holder: call \.state_dict\(\) on it first"):
        save(Holder(), tmp_path / "x.npz")
    assert not os.listdir(tmp_path)


def test_save_refuses_non_string_keys(tmp_path):
    with pytest.raises(TypeError, match=r"state_dict keys must be strings, got 0 \(int\)"):
        save({0: np.ones(2)}, tmp_path / "x.npz")


@pytest.mark.parametrize("value, message", [
    ("abc", r"state_dict\['v'\] must be a NumPy array or a number, got str"),
    (None, r"state_dict\['v'\] must be a NumPy array or a number, got NoneType"),
    ([1.0, 2.0], r"state_dict\['v'\] must be a NumPy array or a number, got list"),
    (np.array([{"a": 1}], dtype=object), r"state_dict\['v'\] must hold numbers .* got dtype object: "
                                         r"it could only be stored by pickling"),
    (np.array(["a", "b"]), r"state_dict\['v'\] must hold numbers .* got dtype <U1"),
    ({"state": {}}, r"state_dict\['v'\] is a dict: save\(\) stores flat dicts"),
])
def test_save_refuses_non_array_values(tmp_path, value, message):
    with pytest.raises(TypeError, match=message):
        save({"w": np.ones(2), "v": value}, tmp_path / "x.npz")
    assert not os.listdir(tmp_path)  # nothing written, not even a partial file


def test_failed_save_leaves_an_existing_file_alone(tmp_path):
    path = tmp_path / "m.npz"
    save({"w": np.ones(2)}, path)
    with pytest.raises(TypeError):
        save({"w": np.zeros(2), "bad": None}, path)
    assert_same_state(load(path), {"w": np.ones(2)})


def test_save_into_a_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"the directory .*nowhere.* does not exist"):
        save({"w": np.ones(2)}, tmp_path / "nowhere" / "m.npz")


def test_bad_path_types(tmp_path):
    with pytest.raises(TypeError, match=r"path must be a str or os\.PathLike, got int"):
        save({"w": np.ones(2)}, 3)
    with pytest.raises(TypeError, match=r"path must be a str or os\.PathLike, got NoneType"):
        load(None)


def test_load_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no state dict file at '.*missing\.npz'$"):
        load(tmp_path / "missing.npz")
    # numpy.savez appends .npz to a bare name: say so
    np.savez(tmp_path / "model", w=np.ones(1))
    with pytest.raises(FileNotFoundError, match=re.escape("numpy.savez adds that suffix")):
        load(tmp_path / "model")


def test_load_refuses_files_that_are_not_npz(tmp_path):
    (tmp_path / "notes.txt").write_text("not an archive")
    with pytest.raises(ValueError, match=r"is not an \.npz archive"):
        load(tmp_path / "notes.txt")
    np.save(tmp_path / "single.npy", np.ones(2))
    with pytest.raises(ValueError, match=r"is not an \.npz archive"):
        load(tmp_path / "single.npy")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ValueError, match=r"member 'readme\.txt' is not a \.npy array"):
        load(tmp_path / "other.zip")


UNPICKLED = []


def _record(message):
    UNPICKLED.append(message)
    return message


class Payload:
    """Unpickling this calls _record: a harmless stand-in for arbitrary code."""

    def __reduce__(self):
        return _record, ("unpickled!",)


def test_load_refuses_pickled_objects_without_unpickling_them(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, weight=np.ones(2), payload=np.array([Payload()], dtype=object))  # savez pickles it
    UNPICKLED.clear()
    with pytest.raises(ValueError, match=r"entry 'payload' holds pickled Python objects; load\(\) "
                                         r"refuses to unpickle them"):
        load(path)
    assert UNPICKLED == []
    # the test is honest: numpy would have run the payload if allowed to
    with np.load(path, allow_pickle=True) as data:
        data["payload"]
    assert UNPICKLED == ["unpickled!"]


def test_load_refuses_a_plain_pickle(tmp_path):
    path = tmp_path / "state.pkl"
    path.write_bytes(pickle.dumps({"w": Payload()}))
    UNPICKLED.clear()
    with pytest.raises(ValueError, match=r"is not an \.npz archive"):
        load(path)
    assert UNPICKLED == []
