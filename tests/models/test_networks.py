import numpy as np
import pytest
import torch

from usvlib.models.cnn import CallCNN, EfficientCNN, PaperCNN, n_parameters
from usvlib.models.mlp import PropertiesMLP, SemiConvNet
from usvlib.netinfo import describe, first_layer_filters

torch.set_num_threads(1)


def test_the_paper_network_is_the_paper_s():
    net = PaperCNN()
    assert 22e6 < n_parameters(net) < 24e6  # "about 23 M parameters"
    layers = describe(net)
    convs = [r for r in layers if r["layer"] == "Conv2d"]
    assert [r["output"] for r in convs] == [(256, 50, 50), (256, 25, 25)] + [(256, 25, 25)] * 4
    linears = [r for r in layers if r["layer"] == "Linear"]
    assert [r["output"] for r in linears] == [(120,), (120,), (120,), (1,)]
    assert tuple(first_layer_filters(net).shape) == (256, 10, 10)
    net.eval()
    assert net(torch.zeros(2, 1, 100, 100)).shape == (2, 1)


def test_efficient_network_heads():
    net = EfficientCNN(heads=(1, 3, 4)).eval()
    outs = net(torch.zeros(5, 1, 100, 100))
    assert [tuple(o.shape) for o in outs] == [(5, 1), (5, 3), (5, 4)]
    assert n_parameters(net) < n_parameters(PaperCNN()) / 100


def test_first_layer_filters_of_every_input_channel_are_shown():
    import matplotlib

    matplotlib.use("Agg")
    from usvlib.netinfo import call_image_band_names
    from usvlib.paper import plots

    weights = first_layer_filters(CallCNN())
    assert tuple(weights.shape) == (8, 2, 3, 3)  # the fundamental's and the harmonic's bands
    from usvlib.paper.plots.classifiers import filter_mosaic

    fig = plots.filters(weights.numpy(), channel_names=call_image_band_names())
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_yticklabels()] == ["fundamental", "harmonic 2"]
    image, rows_per_channel = filter_mosaic(weights.numpy())
    # 16 kernels of 3 x 3, each once, a NaN pixel apart: a block of rows for each input channel
    assert np.isfinite(image).sum() == 16 * 9 and rows_per_channel * 2 * 4 - 1 == image.shape[0]
    single = plots.filters(first_layer_filters(EfficientCNN()).numpy(), channel_names=call_image_band_names())
    assert not [t.get_text() for t in single.axes[0].get_yticklabels()]
    assert np.isfinite(filter_mosaic(first_layer_filters(EfficientCNN()).numpy())[0]).sum() == 8 * np.prod(
        first_layer_filters(EfficientCNN()).shape[-2:]
    )


def test_call_network_reads_call_images():
    net = CallCNN().eval()
    assert net(torch.zeros(3, 2, 48, 32)).shape == (3, 1)  # the fundamental's and the harmonic's bands
    layers = describe(net)  # sized from the network's own input shape
    assert [r["output"] for r in layers if r["layer"] == "Conv2d"] == [
        (8, 24, 16),
        (16, 24, 16),
        (32, 12, 8),
        (32, 6, 4),
    ]
    assert n_parameters(net) < n_parameters(EfficientCNN())
    other = CallCNN(heads=(1, 3), input_shape=(1, 64, 40)).eval()
    assert [tuple(o.shape) for o in other(torch.zeros(2, 1, 64, 40))] == [(2, 1), (2, 3)]


def test_small_networks():
    mlp = PropertiesMLP(9).eval()
    assert mlp(torch.zeros(4, 9)).shape == (4, 1)
    assert sum(isinstance(m, torch.nn.Linear) for m in mlp.modules()) == 5  # 4 x 70 and the output
    semi = SemiConvNet(9, 2).eval()
    out = semi((torch.zeros(3, 9), torch.zeros(3, 2, 100), torch.zeros(3, 1, 233)))
    assert out.shape == (3, 2)


@pytest.mark.parametrize("seed", [0, 1])
def test_he_initialisation(seed):
    torch.manual_seed(seed)
    w = PaperCNN().classifier[0].weight
    assert float(w.detach().std()) == pytest.approx(np.sqrt(2 / w.shape[1]), rel=0.05)
