"""Exceptions a user can act on. The CLI prints their message as one line, never a traceback."""


class RagloomError(Exception):
    """Base class for every error caused by input, configuration or data, not by a bug."""


class IndexMismatchError(RagloomError):
    """The index was built with another embedder, dimension or format version."""


class IndexCorruptError(RagloomError):
    """An index folder is missing files or holds files that cannot be read."""


class FilterError(RagloomError):
    """A metadata filter is malformed or uses an unsupported operator."""


class ConfigError(RagloomError):
    """A setting (file, environment or argument) has an invalid value."""


class BackendMissingError(ImportError, RagloomError):
    """An optional backend's package is not installed; the message names the extra to install."""


class ConnectorError(RagloomError):
    """A source cannot be read as a whole: a bad API spec, a refused URL, an API that keeps failing."""


class UnsupportedCapabilityError(RagloomError):
    """An index was asked for something it does not declare (e.g. keyword search); see ``Index.capabilities``."""
