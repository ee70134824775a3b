"""'What is this?' on close-ups of the kind blind users take, made here (seeded, so every run sees the
same 40 pictures): labels of packages, screens photographed at an angle, pages, and off-target
close-ups (a surface, a hand-coloured blob over a label), none of them tuned on. Counts the answers
that name a thing that is not there (any object except "tv"/"laptop" for a screen, "book" for a page)
and the answers that say something true and useful (the label's large word read, or an honest
"I can't tell").

    .venv/bin/python benchmarks/closeups.py [--save DIR] [--json]

The pictures are synthetic: a real independent set of blind users' photos (VizWiz test) is not
reachable from here. The dev VizWiz items are in ../shared/data/dev/describe.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import re
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

W, H = 640, 480
WORDS = ("Tablets", "Cereal", "Green Tea", "Vitamin C", "Pasta", "Shampoo", "Coffee", "Biscuits", "Soup",
         "Rice", "Aspirin", "Honey", "Batteries", "Sugar", "Yogurt", "Lentils")  # fmt: skip
SMALL = ("net weight 500 g", "best before 12 2027", "store in a cool dry place", "made in the EU",
         "take two daily with water", "ingredients: wheat flour, salt",
         "keep out of reach of children")  # fmt: skip
ALLOWED = {"screen": {"tv", "laptop"}, "page": {"book"}, "package": set(), "surface": set()}
NAMED = re.compile(r"^(?:Possibly )?(?:an? )(.+?)(?:[,;]|$)", re.I)


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    spec = importlib.util.find_spec("matplotlib")
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    if spec and spec.origin:
        path = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf" / name
        if path.is_file():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size)


def _finish(image: Image.Image, rng: random.Random) -> np.ndarray:
    """Tilt, blur and noise as a hand-held phone camera adds them."""
    image = image.rotate(rng.uniform(-12, 12), resample=Image.Resampling.BICUBIC, expand=False,
                         fillcolor=tuple(rng.randrange(60, 200) for _ in range(3)))  # fmt: skip
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 2.0)))
    array = np.asarray(image, np.float32)
    shade = np.linspace(rng.uniform(0.7, 1.0), rng.uniform(0.9, 1.15), W)[None, :, None]  # uneven light
    array = array * shade + np.random.default_rng(rng.randrange(1 << 30)).normal(0, 6, array.shape)
    return np.clip(array, 0, 255).astype(np.uint8)


def package(rng: random.Random) -> tuple[np.ndarray, str]:
    colour = tuple(rng.randrange(40, 230) for _ in range(3))
    image = Image.new("RGB", (W, H), tuple(rng.randrange(60, 200) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    x0, y0 = rng.randrange(-40, 80), rng.randrange(-40, 60)
    draw.rectangle((x0, y0, x0 + rng.randrange(520, 760), y0 + rng.randrange(380, 560)), fill=colour)
    word = rng.choice(WORDS)
    ink = (255, 255, 255) if sum(colour) < 380 else (20, 20, 20)
    draw.text((x0 + 60, y0 + 80), word, font=_font(rng.randrange(56, 90), bold=True), fill=ink)
    for k in range(rng.randrange(1, 4)):
        draw.text((x0 + 60, y0 + 220 + 34 * k), rng.choice(SMALL), font=_font(22), fill=ink)
    return _finish(image, rng), word


def screen(rng: random.Random) -> tuple[np.ndarray, str]:
    dark = rng.random() < 0.4
    image = Image.new("RGB", (W, H), (25, 25, 25))  # bezel
    draw = ImageDraw.Draw(image)
    face = (30, 30, 40) if dark else (240, 240, 245)
    ink = (230, 230, 230) if dark else (20, 20, 30)
    draw.rectangle((30, 25, W - 30, H - 25), fill=face)
    draw.rectangle((30, 25, W - 30, 70), fill=(40, 90, 170))
    word = rng.choice(("Settings", "Update", "Error", "Welcome", "Inbox", "Printer"))
    draw.text((50, 32), word, font=_font(30, bold=True), fill=(255, 255, 255))
    for k in range(rng.randrange(3, 7)):
        draw.text((50, 100 + 44 * k), rng.choice(SMALL).capitalize(), font=_font(24), fill=ink)
    array = np.asarray(image, np.float32)
    array += 10 * np.sin(np.arange(H) * rng.uniform(0.8, 1.6))[:, None, None]  # moire of the pixel grid
    return _finish(Image.fromarray(np.clip(array, 0, 255).astype(np.uint8)), rng), word


def page(rng: random.Random) -> tuple[np.ndarray, str]:
    image = Image.new("RGB", (W, H), tuple(rng.randrange(90, 160) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    draw.rectangle((rng.randrange(-30, 40), rng.randrange(-30, 30), W - rng.randrange(-30, 40), H + 20),
                   fill=(248, 246, 240))  # fmt: skip
    word = rng.choice(("NOTICE", "INVOICE", "Dear Customer", "Appointment", "RECEIPT", "Menu"))
    draw.text((70, 40), word, font=_font(44, bold=True), fill=(10, 10, 10))
    for k in range(8):
        draw.text((70, 120 + 38 * k), rng.choice(SMALL), font=_font(22), fill=(30, 30, 30))
    return _finish(image, rng), word


def surface(rng: random.Random) -> tuple[np.ndarray, str]:
    """An off-target close-up: wood, fabric or a wall, sometimes with a skin-coloured blob (a thumb)."""
    noise = np.random.default_rng(rng.randrange(1 << 30))
    base = np.array([rng.randrange(80, 220) for _ in range(3)], np.float32)
    grain = np.sin(np.arange(W) / rng.uniform(3, 15))[None, :] * rng.uniform(5, 25)
    array = base[None, None, :] + grain[:, :, None] + noise.normal(0, 10, (H, W, 3))
    image = Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))
    if rng.random() < 0.5:
        draw = ImageDraw.Draw(image)
        cx, cy = rng.randrange(0, W), H
        draw.ellipse((cx - 150, cy - 260, cx + 150, cy + 60), fill=(224, 172, 140))
    return _finish(image, rng), ""


KINDS = {"package": package, "screen": screen, "page": page, "surface": surface}


def judge(kind: str, word: str, answer: str) -> tuple[bool, bool]:
    """(names a thing that is not there, says something true and useful)."""
    named = NAMED.match(answer)
    thing = named.group(1).strip().lower() if named and not answer.startswith("It says") else ""
    invented = bool(thing) and thing not in ALLOWED[kind]
    read = bool(word) and word.lower().split()[0] in answer.lower()
    honest = answer.startswith(("I can't tell", "Nothing I recognise"))
    useful = not invented and (read or honest or (bool(thing) and thing in ALLOWED[kind]))
    return invented, useful


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-kind", type=int, default=10)
    parser.add_argument("--save", help="keep the pictures and answers in this folder")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from sa2va_assist.api import load

    assistant = load("lite")
    rng = random.Random(20261203)
    folder = Path(args.save) if args.save else Path(tempfile.mkdtemp(prefix="closeups."))
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for kind, make in KINDS.items():
        for n in range(args.per_kind):
            image, word = make(rng)
            path = folder / f"{kind}_{n:02d}.png"
            Image.fromarray(image).save(path)
            answer = assistant.ask(str(path), "what is this?").answer
            invented, useful = judge(kind, word, answer)
            rows.append({"image": path.name, "kind": kind, "word": word, "answer": answer,
                         "invented": invented, "useful": useful})  # fmt: skip
    n = len(rows)

    def counts(kind: str | None) -> dict[str, int]:
        chosen = [r for r in rows if kind is None or r["kind"] == kind]
        return {"invented": sum(r["invented"] for r in chosen), "useful": sum(r["useful"] for r in chosen)}

    summary = {"n": n, **counts(None), "by_kind": {k: counts(k) for k in KINDS}}
    if args.json:
        print(json.dumps({"summary": summary, "rows": rows}, indent=1))
    else:
        for r in rows:
            flag = "INVENTED" if r["invented"] else ("ok" if r["useful"] else "not useful")
            print(f"{r['image']:<16} {flag:<10} {r['answer'][:110]}")
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
