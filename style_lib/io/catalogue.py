"""The demo images: which exist (:data:`NAMES`), who made them and under which
licence (:data:`CREDITS`, :func:`credit`), and where each one is published.

Data only: fetching them is :mod:`style_lib.io.download`, turning anything into
pixels :func:`style_lib.io.data.as_image`.
"""

from __future__ import annotations

import difflib
import urllib.parse
from dataclasses import dataclass

from ..errors import ImageError

__all__ = ["ImageCredit", "RemoteFile", "UnknownImageError", "NAMES", "STYLE_NAMES",
           "CONTENT_NAMES", "CREDITS", "COMMITTED", "REMOTE_FILES", "CACHE_SUFFIX",
           "check_name", "credit"]

CACHE_SUFFIX = ".jpg"  # local copies are always stored as JPEG
_PD = "Public domain"


@dataclass(frozen=True)
class ImageCredit:
    """Who made a demo image, under which licence, and where it comes from."""

    name: str
    title: str
    artist: str
    year: str  # free text ("1889", "c. 1830–1832"); "" if unknown
    licence: str
    source_url: str  # page describing the original (Commons file page, ...)
    commons_file: str | None  # Wikimedia file name, None if not from Wikimedia
    filename: str  # local file name (in images/ or in the cache)


@dataclass(frozen=True)
class RemoteFile:
    commons_file: str
    thumb_width: int | None = None  # None: fetch the original
    project: str = "commons"  # upload path project ("commons" or "en")


def _commons_page(file: str) -> str:
    return "https://commons.wikimedia.org/wiki/File:" + urllib.parse.quote(file)


def _c(name, title, artist, year, licence, source_url, commons_file, filename=None) -> ImageCredit:
    return ImageCredit(
        name, title, artist, year, licence, source_url, commons_file, filename or name + CACHE_SUFFIX
    )


REMOTE_FILES: dict[str, RemoteFile] = {
    "starry_night": RemoteFile("Van_Gogh_-_Starry_Night_-_Google_Art_Project.jpg", 1280),
    "the_scream": RemoteFile("The_Scream.jpg"),
    "shipwreck": RemoteFile("Shipwreck_turner.jpg"),
    "great_wave": RemoteFile("The_Great_Wave_off_Kanagawa.jpg"),
    "composition_vii": RemoteFile("Vassily_Kandinsky,_1913_-_Composition_7.jpg"),
    "woman_with_hat": RemoteFile("Matisse-Woman-with-a-Hat.jpg", project="en"),
    "san_giorgio_maggiore_at_dusk": RemoteFile("Claude_Monet,_Saint-Georges_majeur_au_crépuscule.jpg"),
    "the_kiss": RemoteFile("The_Kiss_-_Gustav_Klimt_-_Google_Cultural_Institute.jpg", 1280),
    "tubingen": RemoteFile("Tuebingen_Neckarfront.jpg"),
}

_CREDIT_LIST = [
    _c("starry_night", "The Starry Night", "Vincent van Gogh", "1889", _PD,
       _commons_page(REMOTE_FILES["starry_night"].commons_file), REMOTE_FILES["starry_night"].commons_file),
    _c("the_scream", "The Scream", "Edvard Munch", "1893", _PD,
       _commons_page("The_Scream.jpg"), "The_Scream.jpg"),
    _c("shipwreck", "The Wreck of a Transport Ship (The Shipwreck of the Minotaur)",
       "J. M. W. Turner", "c. 1810", _PD,
       _commons_page("Shipwreck_turner.jpg"), "Shipwreck_turner.jpg"),
    _c("great_wave", "The Great Wave off Kanagawa", "Katsushika Hokusai", "c. 1830–1832", _PD,
       _commons_page("The_Great_Wave_off_Kanagawa.jpg"), "The_Great_Wave_off_Kanagawa.jpg"),
    _c("composition_vii", "Composition VII", "Wassily Kandinsky", "1913", _PD,
       _commons_page(REMOTE_FILES["composition_vii"].commons_file), REMOTE_FILES["composition_vii"].commons_file),
    _c("woman_with_hat", "Woman with a Hat", "Henri Matisse", "1905", _PD,
       "https://en.wikipedia.org/wiki/File:Matisse-Woman-with-a-Hat.jpg", "Matisse-Woman-with-a-Hat.jpg"),
    _c("san_giorgio_maggiore_at_dusk", "San Giorgio Maggiore at Dusk", "Claude Monet", "1908–1912", _PD,
       _commons_page(REMOTE_FILES["san_giorgio_maggiore_at_dusk"].commons_file),
       REMOTE_FILES["san_giorgio_maggiore_at_dusk"].commons_file),
    _c("the_kiss", "The Kiss", "Gustav Klimt", "1907–1908", _PD,
       _commons_page(REMOTE_FILES["the_kiss"].commons_file), REMOTE_FILES["the_kiss"].commons_file),
    _c("tubingen", "Tübingen, Neckarfront", "Andreas Praefcke", "", "CC BY 3.0",
       _commons_page("Tuebingen_Neckarfront.jpg"), "Tuebingen_Neckarfront.jpg"),
    _c("chelsea", "Chelsea the cat", "Stefan van der Walt", "2009", "CC0",
       "https://scikit-image.org/docs/stable/api/skimage.data.html#skimage.data.chelsea", None, "chelsea.png"),
    _c("coffee", "Coffee cup (courtesy of Pikolo Espresso Bar)", "Rachel Michetti", "", "CC0",
       "https://scikit-image.org/docs/stable/api/skimage.data.html#skimage.data.coffee", None, "coffee.png"),
    _c("rocket", "Launch of DSCOVR on a Falcon 9", "SpaceX", "2015", _PD,
       "https://www.flickr.com/photos/spacexphotos/16511594820/", None, "rocket.jpg"),
]

#: name -> credit, for all demo images.
CREDITS: dict[str, ImageCredit] = {c.name: c for c in _CREDIT_LIST}
STYLE_NAMES: tuple[str, ...] = (
    "starry_night", "the_scream", "shipwreck", "great_wave", "composition_vii",
    "woman_with_hat", "san_giorgio_maggiore_at_dusk", "the_kiss",
)
CONTENT_NAMES: tuple[str, ...] = ("tubingen", "chelsea", "coffee", "rocket")
NAMES: tuple[str, ...] = STYLE_NAMES + CONTENT_NAMES
COMMITTED = frozenset({"chelsea", "coffee", "rocket"})


class UnknownImageError(ImageError, KeyError):
    """The name is not one of :data:`NAMES`."""

    def __str__(self) -> str:  # KeyError would otherwise add quotes
        return str(self.args[0]) if self.args else ""




def check_name(name: object, names: tuple[str, ...] | None = None,
               what: str = "demo image") -> str:
    """Return ``name`` if it is one of ``names`` (default :data:`NAMES`), else raise
    :class:`UnknownImageError` suggesting the closest name."""
    names = NAMES if names is None else names
    if isinstance(name, str) and name in names:
        return name
    close = difflib.get_close_matches(str(name).lower().replace(" ", "_").replace("-", "_"), names, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise UnknownImageError(f"Unknown {what} {name!r}.{hint} Valid names: {', '.join(names)}.")




def credit(name: str) -> str:
    """One-line caption credit, e.g. '"The Starry Night", Vincent van Gogh, 1889 (public domain)'."""
    c = CREDITS[check_name(name)]
    if name == "tubingen":
        return f'"{c.title}". Photo: Andreas Praefcke, CC BY 3.0, via Wikimedia Commons (resized)'
    year = f", {c.year}" if c.year else ""
    via = " via scikit-image" if name in COMMITTED else ""
    return f'"{c.title}", {c.artist}{year} ({c.licence.lower() if c.licence == _PD else c.licence}{via})'
