"""A country's holidays from the `holidays` package, kept per year in a cache file.

Importing the package takes 0.08 s, nearly all of it spent importing every country's module: a third of a
check of a small export. So the days off of each year a run asks for are written to a file in the cache
directory, under a key made of the country, subdivision and categories and the installed package's own files
(their path, size and time of change: another version of the package, another key). A run whose years are all
in the file never imports the package. A config is checked against the package (unknown country, subdivision or
category) before anything is written, so only a calendar that loaded once is ever read from the cache.

The directory is `$ESCALATE_CACHE_DIR`, else `$XDG_CACHE_HOME/escalate`, else `~/.cache/escalate`; an empty
`ESCALATE_CACHE_DIR` turns the cache off. A file that cannot be read or written is ignored: the package answers.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import date, datetime
from pathlib import Path
from typing import Any


class CountryHolidays:
    """Days off of one country (subdivision, categories), by year: `day in holidays`, `holidays.get(day)` (the
    names, `; `-joined, as the package gives them), `start_year` and `end_year` (the years its data covers)."""

    def __init__(
        self, country: str, subdiv: str | None, categories: tuple[str, ...], language: str | None = None
    ) -> None:
        """Raises what `holidays.country_holidays` raises for an unknown country, subdivision or category,
        unless this calendar is in the cache already. `language`: of the names (default: the country's)."""
        self.country, self.subdiv, self.categories, self.language = country, subdiv, categories, language
        self.years: dict[int, dict[date, str]] = {}
        self._package: Any = None
        self.path, self.key = _cache_file(country, subdiv, categories, language)
        cached = self._read()
        if cached is not None:
            self.start_year, self.end_year = cached
        else:
            package = self.package()
            self.start_year = int(getattr(package, "start_year", 1))
            self.end_year = int(getattr(package, "end_year", 9999))
            self._write()

    def __contains__(self, day: object) -> bool:
        if isinstance(day, date):
            return self.get(day) is not None
        return day in self.package()

    def get(self, day: date) -> str | None:
        if isinstance(day, datetime):
            day = day.date()
        return self._year(day.year).get(day)

    def package(self) -> Any:
        """The package's holidays object (imported on first use)."""
        if self._package is None:
            import holidays

            self._package = holidays.country_holidays(
                self.country, subdiv=self.subdiv, categories=self.categories, language=self.language
            )
        return self._package

    def _year(self, year: int) -> dict[date, str]:
        found = self.years.get(year)
        if found is None:
            package = self.package()
            _ = date(year, 1, 1) in package  # the package works out a year's days when first asked about it
            found = self.years[year] = {day: str(name) for day, name in package.items() if day.year == year}
            self._write()
        return found

    def _read(self) -> tuple[int, int] | None:
        if self.path is None:
            return None
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data["key"] != self.key:
                return None
            self.years = {
                int(year): {date.fromisoformat(day): str(name) for day, name in days.items()}
                for year, days in data["years"].items()
            }
            return int(data["start_year"]), int(data["end_year"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            self.years = {}
            return None

    def _write(self) -> None:
        if self.path is None:
            return
        data = {
            "key": self.key,
            "start_year": self.start_year,
            "end_year": self.end_year,
            "years": {
                str(year): {day.isoformat(): name for day, name in sorted(days.items())}
                for year, days in sorted(self.years.items())
            },
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            partial = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
            partial.write_text(json.dumps(data), encoding="utf-8")
            os.replace(partial, self.path)  # whole or not at all, whatever else runs at the same time
        except OSError:
            pass


def _cache_file(
    country: str, subdiv: str | None, categories: tuple[str, ...], language: str | None = None
) -> tuple[Path | None, str]:
    """The cache file for this calendar (None: no cache) and the key its content must carry."""
    import importlib.util

    spec = importlib.util.find_spec("holidays")
    stamps = []
    if spec is not None and spec.origin is not None:
        package = Path(spec.origin).parent
        for name in ("__init__.py", "version.py", "holiday_base.py"):
            try:
                found = (package / name).stat()
            except OSError:
                continue
            stamps.append(f"{package / name}:{found.st_size}:{found.st_mtime_ns}")
    key = "|".join([country, subdiv or "", ",".join(categories), *([language] if language else []), *stamps])
    directory = _cache_directory()
    if directory is None or not stamps:
        return None, key
    name = hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]
    return directory / f"holidays-{name}.json", key


def _cache_directory() -> Path | None:
    chosen = os.environ.get("ESCALATE_CACHE_DIR")
    if chosen is not None:
        return Path(chosen) if chosen else None
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg) / "escalate"
    try:
        return Path.home() / ".cache" / "escalate"
    except RuntimeError:  # no home directory
        return None
