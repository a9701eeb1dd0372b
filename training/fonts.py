#!/usr/bin/python3
"""Which font files the glyph model is trained and validated on.

Only the Debian packages named in issue 4 are used. Faces are grouped into
*clusters*: a family together with its clones and derivatives (the URW base35
fonts, their TeX Gyre and FreeFont derivatives and their metric clones
Liberation/Croscore; DejaVu with Hack and Verana, both Bitstream Vera
descendants; Noto Sans with Open Sans, its parent; ...). Validation holds out
whole clusters, so no face on the validation side has a relative in training.

    /usr/bin/python3 training/fonts.py      # prints every face and its side
"""
import os
import re
import subprocess

PACKAGES = """fonts-dejavu-core fonts-dejavu-extra fonts-liberation2 fonts-urw-base35
 fonts-freefont-ttf fonts-texgyre fonts-noto-core fonts-crosextra-caladea
 fonts-crosextra-carlito fonts-croscore fonts-cantarell fonts-lato fonts-open-sans
 fonts-roboto-unhinted fonts-inter fonts-firacode fonts-hack fonts-go fonts-comic-neue
 fonts-linuxlibertine fonts-ebgaramond fonts-sil-gentium fonts-sil-charis
 fonts-sil-andika fonts-cabin fonts-dosis fonts-karla fonts-jetbrains-mono
 fonts-adf-accanthis fonts-adf-berenis fonts-adf-ikarius fonts-adf-libris
 fonts-adf-oldania fonts-adf-romande fonts-adf-tribun fonts-adf-verana fonts-lobster
 fonts-oflb-euterpe fonts-quattrocento fonts-league-spartan fonts-vollkorn
 fonts-courier-prime fonts-mononoki""".split()

CONTENT_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

# Files left out, and why: Type 1 copies of the URW OpenType files; symbol,
# dingbat and math faces (no Latin letters to learn from); variable-font
# copies of static faces; Tamil-only Karla; small-caps faces (their lowercase
# letters are capitals, which would teach the model the wrong shapes);
# decorative initials (Linux Libertine Initials) and Euterpe, whose cmap maps
# no Latin letters.
EXCLUDE = re.compile(
    r"(\.pfb$|LinLibertine_I\.|Euterpe|\.t1$|StandardSymbols|D050000L|DejaVuMathTeXGyre|ADFProMath|"
    r"karla-variable|KarlaTamil|Smallcaps|/noto/(?!Noto(Sans|Serif)(Display)?-))")

# (regex on the file path, cluster). The first match wins; a face that
# matches none is its own cluster, named by its directory.
CLUSTERS = [
    (r"NimbusSans(?!Narrow)|texgyreheros(?!cn)|LiberationSans|Arimo|FreeSans", "helvetica"),
    (r"NimbusSansNarrow|texgyreheroscn", "helvetica"),
    (r"NimbusRoman|texgyretermes|LiberationSerif|Tinos|FreeSerif", "times"),
    (r"NimbusMono|texgyrecursor|LiberationMono|Cousine|FreeMono|courier-prime", "courier"),
    (r"P052|texgyrepagella", "palatino"),
    (r"C059|texgyreschola", "schoolbook"),
    (r"URWBookman|texgyrebonum", "bookman"),
    (r"URWGothic|texgyreadventor", "avantgarde"),
    (r"Z003|texgyrechorus", "chancery"),
    (r"/dejavu/|/hack/|Verana", "dejavu"),
    (r"/noto/NotoSans|open-sans", "opensans"),
    (r"/noto/NotoSerif", "notoserif"),
    (r"/roboto/", "roboto"),
    (r"linux-libertine", "libertine"),
    (r"/adf/Accanthis", "accanthis"),
    (r"/adf/Berenis", "berenis"),
    (r"/adf/Ikarius", "ikarius"),
    (r"/adf/Libris", "libris"),
    (r"/adf/Oldania", "oldania"),
    (r"/adf/Romande", "romande"),
    (r"/adf/Tribun", "tribun"),
    (r"/gentium/", "gentium"),
    (r"/charis/", "charis"),
    (r"/andika/", "andika"),
    (r"Caladea", "caladea"),
    (r"Carlito", "carlito"),
]

# Validation clusters: a spread of serif, sans, mono, informal and display
# designs, about an eighth of the faces.
HELDOUT_CLUSTERS = ("palatino", "cabin", "mononoki", "comic-neue", "vollkorn",
                    "cantarell", "gentium", "ikarius", "quattrocento")


def cluster_of(path):
    for pattern, name in CLUSTERS:
        if re.search(pattern, path):
            return name
    return os.path.basename(os.path.dirname(path)).lower()


def package_files(package):
    out = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError("fonts.py: package %s is not installed; run training/setup.sh" % package)
    return [p for p in out.stdout.split("\n") if re.search(r"\.(ttf|otf)$", p, re.I)]


def list_faces():
    """Returns [(path, cluster, heldout)] for every face used, sorted by path.

    A path that is a symlink to another listed file is counted once."""
    seen = set()
    faces = []
    for pkg in PACKAGES:
        for path in package_files(pkg):
            if EXCLUDE.search(path) or not os.path.isfile(path):
                continue
            real = os.path.realpath(path)
            if real in seen:
                continue
            seen.add(real)
            cl = cluster_of(path)
            faces.append((path, cl, cl in HELDOUT_CLUSTERS))
    faces.sort()
    return faces


if __name__ == "__main__":
    faces = list_faces()
    for path, cl, held in faces:
        print("%-5s %-12s %s" % ("VAL" if held else "train", cl, path))
    nval = sum(1 for f in faces if f[2])
    print("%d faces: %d train, %d validation, %d clusters"
          % (len(faces), len(faces) - nval, nval, len({f[1] for f in faces})))
