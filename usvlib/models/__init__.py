"""The classifiers of the paper: the DNNs (``cnn``, ``mlp``, ``semiconv``) and the linear ones
(``linear``), and a scikit-learn-compatible wrapper around the networks (``estimator``)."""
