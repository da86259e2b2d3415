"""Which editions a build makes: the pan-London report and/or borough editions."""

from __future__ import annotations

from dataclasses import dataclass

from analysis.boroughs import london_boroughs, resolve_borough, slugify

LONDON = "london"


@dataclass(frozen=True)
class Edition:
    """One edition of the report: ``slug`` names its folder, ``la_name`` is None for London."""

    slug: str
    la_name: str | None = None

    @property
    def is_london(self) -> bool:
        return self.la_name is None

    @property
    def label(self) -> str:
        """Human name: ``London`` or the borough's reference name."""
        return "London" if self.la_name is None else self.la_name


class UnknownBoroughError(ValueError):
    """A borough name or code matched none of the 33; ``valid`` lists the accepted names."""

    def __init__(self, given: str) -> None:
        self.given = given
        self.valid = sorted(london_boroughs()["la_name"])
        super().__init__(
            f"Unknown borough {given!r}. Valid names (or their DfE/ONS codes): "
            + ", ".join(self.valid)
        )


def borough_edition(name_or_code: str) -> Edition:
    """The edition of one borough given by any usual spelling, slug, DfE or ONS code."""
    la_name = resolve_borough(name_or_code)
    if la_name is None:
        raise UnknownBoroughError(name_or_code)
    return Edition(slug=slugify(la_name), la_name=la_name)


def all_borough_editions() -> list[Edition]:
    """The 33 borough editions in alphabetical order."""
    return [borough_edition(name) for name in sorted(london_boroughs()["la_name"])]


def editions_to_build(borough: str | None, all_boroughs: bool) -> list[Edition]:
    """The editions requested on the command line (London first when it is built)."""
    if all_boroughs:
        return [Edition(LONDON), *all_borough_editions()]
    if borough:
        return [borough_edition(borough)]
    return [Edition(LONDON)]
