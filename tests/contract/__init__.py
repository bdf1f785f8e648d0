"""The connector contract suite: the same tests for every platform, through one adapter each."""
