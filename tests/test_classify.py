"""Train a classifier on labelled recordings, keep it in one file, apply it to new recordings."""

import numpy as np
import pandas as pd
import pytest
import torch

from usvlib.classify import load_classifier, train_classifier
from usvlib.crossval.inference import balanced_accuracy_by_animal, multiclass_statistics, per_animal_positive
from usvlib.errors import DatasetError, UsvlibError
from usvlib.predict import predict_calls, wilson_interval
from usvlib.user import load_user_recordings


def _manifest(dataset, tmp_path, females, males, name="mine.csv"):
    sex = dataset / "Data" / "RawRecordings" / "Sex"
    rows = [(sex / f"Rfem_Afem{i:02d}.wav", f"f{i}", "wild", "female") for i in females]
    rows += [(sex / f"Rmale_Afem{i:02d}.wav", f"m{i}", "mutant", "male") for i in males]
    path = tmp_path / name
    pd.DataFrame(rows, columns=["path", "animal", "genotype", "sex"]).to_csv(path, index=False)
    return path


def test_the_animal_statistics_of_any_number_of_classes_agree_with_the_two_class_ones():
    rng = np.random.default_rng(1)
    animals = np.repeat(np.arange(10), 40)
    y = animals % 2
    pred = np.where(rng.random(len(y)) < 0.7, y, 1 - y)
    stats = multiclass_statistics(y, pred, animals, 2, seed=0)
    scores = per_animal_positive(pd.DataFrame({"index": np.arange(len(y)), "y_true": y, "y_pred": pred}), animals)
    assert stats["accuracy_by_animal"] == pytest.approx(balanced_accuracy_by_animal(scores))
    assert stats["ci_low"] < stats["accuracy_by_animal"] < stats["ci_high"] and stats["p_value"] < 0.05
    three = animals % 3
    chance = multiclass_statistics(three, rng.integers(0, 3, len(three)), animals, 3, seed=0)
    assert chance["ci_low"] < 1 / 3 < chance["ci_high"] and chance["p_value"] > 0.05


def test_wilson_interval_of_a_known_proportion():
    low, high = wilson_interval(50, 100)
    assert low == pytest.approx(0.4038, abs=1e-3) and high == pytest.approx(0.5962, abs=1e-3)
    assert wilson_interval(0, 0) != wilson_interval(0, 0)  # nan for no calls


def test_too_few_animals_per_group_is_refused_before_any_training(quick_dataset, tmp_path):
    ds = load_user_recordings(_manifest(quick_dataset, tmp_path, [1, 2], [1]), group_column="genotype")
    with pytest.raises(DatasetError, match=r"mutant \(1\).*at least two animals per group"):
        train_classifier(ds, progress=False)


def test_train_save_load_predict_round_trip(quick_dataset, tmp_path):
    ds = load_user_recordings(_manifest(quick_dataset, tmp_path, [1, 2, 3], [1, 2, 3]), group_column="genotype")
    clf = train_classifier(ds, progress=False, workers=2, updates_per_stage=60)  # half the default, for time
    assert clf.classes == ("mutant", "wild")
    assert clf.cv is not None and clf.cv["n_animals"] == 6 and len(clf.cv["confusion"]) == 2
    assert 0.0 <= clf.cv["ci_low"] <= clf.cv["accuracy_by_animal"] <= clf.cv["ci_high"] <= 1.0
    path = clf.save(tmp_path / "genotype.usvmodel")
    torch.load(path, weights_only=True)  # a plain weights file: loading runs no code
    back = load_classifier(path)
    assert back.classes == clf.classes and back.cv == clf.cv and back.animals.n_usvs.sum() == clf.animals.n_usvs.sum()
    held_out = load_user_recordings(_manifest(quick_dataset, tmp_path, [4, 5], [4, 5], "new.csv"))
    recordings = held_out.recordings.path.tolist()
    per_call, per_recording = predict_calls(back, recordings)
    assert set(per_call.recording) == set(recordings)
    np.testing.assert_allclose(per_call[["p_mutant", "p_wild"]].sum(axis=1), 1.0, rtol=1e-5)
    truth = np.where(per_call.recording.str.contains("Rmale"), "mutant", "wild")
    accuracy = float(np.mean([(per_call.predicted[truth == c] == c).mean() for c in ("mutant", "wild")]))
    print(f"cross-validated {clf.cv['accuracy_by_animal']:.3f}, four new animals {accuracy:.3f}")
    # four new animals: the ballpark of the cross-validated accuracy
    assert abs(accuracy - clf.cv["accuracy_by_animal"]) < 0.2
    assert (per_recording.n_calls > 0).all() and {"share_wild_low", "share_wild_high"} <= set(per_recording)
    same_model = predict_calls(back, recordings)[0]
    pd.testing.assert_frame_equal(per_call, same_model)
    # given call times instead of the detector's
    given = per_call[["recording", "onset_s", "offset_s"]]
    again, _ = predict_calls(back, recordings, calls=given)
    np.testing.assert_allclose(again.p_wild, per_call.p_wild, rtol=1e-5)


def test_a_file_that_is_not_a_classifier_is_refused_in_one_line(tmp_path):
    bad = tmp_path / "x.usvmodel"
    bad.write_bytes(b"not a model")
    with pytest.raises(UsvlibError, match="x.usvmodel: damaged or not a usvlib classifier"):
        load_classifier(bad)
    torch.save({"state_dict": {}, "meta": '{"format": 99, "usvlib_version": "9.0"}'}, bad)
    with pytest.raises(UsvlibError, match="file format 99 .*retrain it"):
        load_classifier(bad)
    bad.write_bytes(b"")
    with pytest.raises(UsvlibError, match="x.usvmodel: is empty"):
        load_classifier(bad)


def test_a_damaged_classifier_is_refused_not_loaded(tmp_path):
    import zipfile

    path = tmp_path / "d.usvmodel"
    torch.save({"state_dict": {"w": torch.arange(4096, dtype=torch.float32)}, "meta": "{}"}, path)
    with zipfile.ZipFile(path) as archive:
        member = next(i for i in archive.infolist() if i.file_size == 4096 * 4)
    data = bytearray(path.read_bytes())
    middle = member.header_offset + 200 + member.file_size // 2  # inside the stored tensor's bytes
    data[middle : middle + 100] = bytes(100)
    path.write_bytes(bytes(data))
    with pytest.raises(UsvlibError, match=f"d.usvmodel: damaged \\(the checksum of {member.filename} fails\\)"):
        load_classifier(path)
