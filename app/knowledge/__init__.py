"""Low-carbon knowledge: articles written in content/, published by `content sync`, read in the mini-program."""
