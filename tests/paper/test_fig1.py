from usvlib.paper import fig1
from usvlib.paths import reference_clips_dir


def test_real_clips_as_well_as_the_other_tools():
    table = fig1.reference_clips(reference_clips_dir())
    pooled = table[table.recording == "all"].set_index("detector")
    assert pooled.loc["usvlib", "n_reference"] == 96
    # DeepSqueak, MUPET and VocalMat score 0.97-0.99 on these clips; usvlib must be in that league
    assert pooled.loc["usvlib", "f1"] >= 0.95
    assert {"DeepSqueak", "MUPET", "VocalMat"} <= set(pooled.index)
