"""The paper's analyses (Ivanenko et al. 2020), built on the core library.

* ``study``: what every classifier of an experiment needs (:func:`~usvlib.paper.study.load_study`).
* ``runners``: the cross-validation runners of its classifiers, cached fold by fold.
* ``fig0`` ... ``fig5``: one module per figure; each has ``compute`` (-> a dataclass) and
  ``record`` (-> the numbers under the keys of ``results.PAPER_NUMBERS``).
* ``plots``, ``results`` (the paper's numbers and this run's), ``reproduce`` (the notebooks'
  runner and context), ``profiles`` (how big and how long a run is).

The core (``usvlib.*`` outside this package and ``usvlib.synth``) never imports this package;
only the command line (``usvlib.cli``), which ties the layers together, does.
"""
