"""One generic name -> factory registry, used for models, tasks and datasets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from skillsight.exceptions import ConfigError

__all__ = ["Registry"]

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to factories. Unknown names raise a ConfigError listing the valid ones.

    Example:
        >>> MODELS = Registry("model")
        >>> @MODELS.register("tiny")
        ... def tiny(**kw):
        ...     return dict(kw)
        >>> MODELS.create("tiny", width=4)
        {'width': 4}
        >>> MODELS.names()
        ['tiny']
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._factories: dict[str, Callable[..., T]] = {}

    def register(self, name: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Decorator registering ``factory`` under ``name`` (names are unique)."""

        def decorator(factory: Callable[..., T]) -> Callable[..., T]:
            if name in self._factories:
                raise ConfigError(f"{self.kind} {name!r} is registered twice")
            self._factories[name] = factory
            return factory

        return decorator

    def get(self, name: str) -> Callable[..., T]:
        """Return the factory for ``name`` or raise ConfigError naming the valid choices."""
        try:
            return self._factories[name]
        except KeyError:
            valid = ", ".join(sorted(self._factories)) or "(none registered)"
            raise ConfigError(f"unknown {self.kind} {name!r}; valid: {valid}") from None

    def create(self, name: str, **kwargs: object) -> T:
        """Build the registered object ``name`` with keyword arguments."""
        return self.get(name)(**kwargs)

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._factories)

    def __contains__(self, name: object) -> bool:
        return name in self._factories

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
