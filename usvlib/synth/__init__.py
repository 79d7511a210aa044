"""A generative model of mouse USVs that writes datasets in the Donders layout."""
