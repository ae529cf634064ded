"""Exceptions raised by the core, each carrying one sentence a user can act on."""


class ConfigError(ValueError):
    """A network architecture or hyperparameter that cannot be used."""


class WeightFileError(ValueError):
    """A weight file that is missing, corrupt, truncated or does not match what was asked for."""
