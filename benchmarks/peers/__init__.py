"""Peers of `huiqi batch` for issue 4: an OpenFisca model and a NumPy kernel of a subset of measures."""
