import dataclasses

import pytest

from usvlib.errors import ConfigError
from usvlib.paper.profiles import PROFILES, get_profile, with_seed


def test_profiles_are_data_in_one_place():
    assert set(PROFILES) == {"quick", "default", "paper"}
    default = get_profile("default")
    assert default.synth.sex_recording_s == 180
    assert get_profile("quick").synth.sex_recording_s < default.synth.sex_recording_s
    assert get_profile(default) is default
    assert default.papermill_parameters() == {"profile": "default", "seed": 0}


def test_unknown_profile_lists_the_choices():
    with pytest.raises(ConfigError, match="quick, default, paper"):
        get_profile("fast")


def test_seed_override():
    assert with_seed("quick", 7).seed == 7 and get_profile("quick").seed == 0


def test_call_images_need_the_efficient_network():
    training = get_profile("default").training
    assert training.dnn_input == "calls" and get_profile("paper").training.dnn_input == "images"
    with pytest.raises(ConfigError, match="efficient network only"):
        dataclasses.replace(training, network="paper")
    with pytest.raises(ConfigError, match="'images' or 'calls'"):
        dataclasses.replace(training, dnn_input="spectrogram")
