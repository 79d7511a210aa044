"""``usvlib study``: the paper's analyses on a user's manifest, end to end, and its input checks."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from usvlib.errors import DatasetError
from usvlib.paper.group_study import check_groups
from usvlib.paper.study_run import demo_manifest
from usvlib.user import load_user_recordings

from conftest import REPO


def _run(*args):
    return subprocess.run([sys.executable, "-m", "usvlib", *args], capture_output=True, text=True, cwd=REPO)


def test_a_three_group_study_runs_from_the_command_line_and_finds_no_group_where_there_is_none(quick_dataset, tmp_path):
    # 3 + 3 animals of the quick synthetic data, grouped by a "cage" with one female and one male
    # each: the groups carry no signal, each animal its own voice
    manifest = demo_manifest(quick_dataset, tmp_path / "mine.csv", per_group=3)
    out = tmp_path / "study"
    res = _run("study", str(manifest), "--group", "cage", "--out", str(out), "--profile", "quick")
    assert res.returncode == 0, res.stderr
    assert "report:" in res.stdout
    found = json.loads((out / "numbers.json").read_text())
    assert found["about"]["classes"] == ["cage1", "cage2", "cage3"] and found["about"]["group_column"] == "cage"
    numbers = found["numbers"]
    for key in ("dnn.spectrogram.shuffled", "ridge.spectrogram.shuffled", "svm.spectrogram.shuffled"):
        rec = numbers[key]
        assert rec["chance"] == pytest.approx(1 / 3) and rec["n_animals"] == 6
        # the controls show no evidence of beating chance: at 1 % each, so that the three together
        # fail by chance about 3 % of the time (their 95 % intervals would, about 14 %)
        assert rec["p_value"] > 0.01, (key, rec)
    assert all(v["p_animals_holm"] > 0.01 for k, v in numbers.items() if k.startswith("differences."))
    # every animal has a voice of its own: which animal a USV comes from is far above chance
    assert numbers["identity"]["accuracy"] > 2 * numbers["identity"]["chance"] and numbers["identity"]["p_value"] < 0.01
    classifiers = pd.read_csv(out / "tables" / "classifiers.csv")
    assert len(classifiers) == 8 and classifiers.balanced_accuracy.between(0, 1).all()
    confusion = pd.read_csv(out / "tables" / "confusion_dnn.csv").set_index("true")
    np.testing.assert_allclose(confusion.sum(axis=1), 1.0, atol=1e-5)  # 6 digits in the CSV
    groups = pd.read_csv(out / "tables" / "groups.csv")
    assert groups.n_animals.tolist() == [2, 2, 2] and groups.n_usvs.sum() == numbers["dnn.spectrogram.real"]["n_usvs"]
    figures = sorted(p.name for p in (out / "figures").glob("*.png"))
    assert figures == [
        "study_fig2_properties.png",
        "study_fig3_classifiers.png",
        "study_fig3_confusion.png",
        "study_fig7_space.png",
    ]
    index = (out / "reports" / "index.html").read_text()
    assert 'href="study.html"' in index and (out / "reports" / "study.html").stat().st_size > 50_000
    assert (out / "notebooks" / "study.ipynb").is_file()


def test_groups_are_counted_and_unbalanced_groups_allowed(tiny_dataset, tmp_path):
    manifest = demo_manifest(tiny_dataset, tmp_path / "mine.csv", per_group=3)
    table = pd.read_csv(manifest)
    table.loc[5, "sex"] = "female"  # 4 females, 2 males
    table.to_csv(manifest, index=False)
    groups = check_groups(load_user_recordings(manifest, group_column="sex"))
    assert groups.group.tolist() == ["female", "male"] and groups.n_animals.tolist() == [4, 2]
    assert (groups.minutes > 0).all()


def test_a_study_that_cannot_work_is_refused_before_any_work_with_what_to_do(tiny_dataset, tmp_path):
    manifest = demo_manifest(tiny_dataset, tmp_path / "mine.csv", per_group=3)
    table = pd.read_csv(manifest)
    one_male = table.drop(index=[4, 5])
    one_male.to_csv(tmp_path / "one.csv", index=False)
    res = _run("study", str(tmp_path / "one.csv"), "--group", "sex", "--out", str(tmp_path / "o1"))
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    assert (
        "fewer than 2 animals ('male': Rmale_Afem01)" in res.stderr and "add recordings of another animal" in res.stderr
    )
    assert not (tmp_path / "o1").exists()  # nothing written
    lost = tmp_path / "lost_calls.csv"
    lost.write_text("recording,onset_s,offset_s\nnot_mine.wav,0.1,0.2\n")
    res = _run("study", str(manifest), "--group", "sex", "--out", str(tmp_path / "o0"), "--calls", str(lost))
    assert res.returncode == 2 and "none of the 1 imported calls belongs to a listed recording" in res.stderr
    assert not (tmp_path / "o0").exists()  # refused before the notebook ran
    table.assign(sex="female").to_csv(tmp_path / "same.csv", index=False)
    with pytest.raises(DatasetError, match="every recording is in group 'female'"):
        check_groups(load_user_recordings(tmp_path / "same.csv", group_column="sex"))
    slow = tmp_path / "slow.wav"
    sf.write(slow, np.zeros(19_200, dtype=np.int16), 192_000, subtype="PCM_16")
    table.loc[0, "path"] = str(slow)
    table.to_csv(tmp_path / "slow.csv", index=False)
    with pytest.raises(DatasetError, match=r"slow.wav: sampled at 192000 Hz, below the 200000 Hz"):
        load_user_recordings(tmp_path / "slow.csv", group_column="sex")
    table.loc[0, "path"] = str(tmp_path / "empty.wav")
    (tmp_path / "empty.wav").write_bytes(b"")
    table.loc[1, "path"] = str(tmp_path / "junk.wav")
    (tmp_path / "junk.wav").write_bytes(b"RIFF1234")
    table.to_csv(tmp_path / "bad.csv", index=False)
    res = _run("study", str(tmp_path / "bad.csv"), "--group", "sex", "--out", str(tmp_path / "o2"))
    assert res.returncode == 2 and "empty.wav" in res.stderr and "junk.wav" in res.stderr  # every one named
