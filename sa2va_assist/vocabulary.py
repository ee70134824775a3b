"""Names of the 80 everyday object classes (COCO) and the words people use for them.

Shared by the lite backend (understanding requests), spatial language (typical sizes), evaluation
(counting mentions) and the agent, so all of them agree on what "sofa" or "mug" means and how a class
is said in the plural. Pure.
"""

from __future__ import annotations

# Words that name a COCO category in a description, besides the category name itself. Regular plurals
# (+s, +es, consonant+y -> ies) are generated; irregular ones are listed. Only words whose usual sense
# in a photo caption is that category's object: not "glass"/"glasses" (eyewear, windows), "bag"
# (backpack, handbag or suitcase), "ski" (slope, lift), "computer", "desk", "stool", "pitcher".
MENTION_SYNONYMS: dict[str, tuple[str, ...]] = {
    "person": ("people", "man", "men", "woman", "women", "child", "children", "kid", "boy", "girl",
               "player", "guy", "lady", "gentleman", "gentlemen", "baby", "toddler", "adult", "teenager",
               "pedestrian", "skier", "surfer", "skateboarder", "snowboarder", "rider", "someone",
               "crowd"),
    "bicycle": ("bike",), "car": ("taxi", "sedan", "suv"),
    "motorcycle": ("motorbike", "motor bike", "dirt bike", "moped"),
    "airplane": ("aeroplane", "plane", "jet", "jetliner", "airliner", "aircraft"),
    "train": ("locomotive",), "truck": ("lorry",),
    "boat": ("ship", "sailboat", "canoe", "kayak", "ferry", "yacht"),
    "traffic light": ("stoplight", "stop light", "traffic signal"), "fire hydrant": ("hydrant",),
    "bird": ("pigeon", "seagull", "gull", "duck", "goose", "geese", "swan", "parrot", "owl"),
    "cat": ("kitten", "kitty"), "dog": ("puppy",), "horse": ("pony",), "sheep": ("lamb",),
    "cow": ("cattle", "calf", "calves", "bull", "ox", "oxen"),
    "backpack": ("back pack", "rucksack", "knapsack"), "umbrella": ("parasol",),
    "handbag": ("purse", "hand bag"), "tie": ("necktie",), "suitcase": ("suit case", "luggage"),
    "frisbee": ("flying disc",), "sports ball": ("ball",), "baseball bat": ("bat",),
    "baseball glove": ("mitt",), "skateboard": ("skate board",), "surfboard": ("surf board",),
    "tennis racket": ("racket", "racquet"), "wine glass": ("wineglass",), "cup": ("mug",),
    "knife": ("knives",), "sandwich": ("burger", "hamburger"), "hot dog": ("hotdog",),
    "donut": ("doughnut",), "cake": ("cupcake",), "chair": ("armchair",),
    "couch": ("sofa", "loveseat", "love seat"),
    "potted plant": ("plant", "houseplant", "house plant", "pot plant"), "dining table": ("table",),
    "tv": ("television", "tv set", "monitor"), "laptop": ("notebook computer",), "mouse": ("mice",),
    "remote": ("controller",),
    "cell phone": ("cellphone", "phone", "mobile phone", "mobile", "smartphone", "smart phone", "iphone"),
    "microwave": ("microwave oven",), "oven": ("stove",), "toaster": ("toaster oven",),
    "refrigerator": ("fridge",), "scissors": ("scissor",),
    "teddy bear": ("teddy", "stuffed bear"),
    "hair drier": ("hair dryer", "hairdryer", "blow dryer", "blow drier"), "toothbrush": ("tooth brush",),
}  # fmt: skip


_SPOKEN_PLURAL = {
    "person": "people", "knife": "knives", "mouse": "computer mice", "sheep": "sheep", "skis": "skis",
    "scissors": "scissors", "tv": "TVs", "cell phone": "phones", "dining table": "tables", "text": "text",
}  # fmt: skip


def spoken_plural(name: str) -> str:
    """How a class name is said in the plural: "people", "cups", "TVs"."""
    if name in _SPOKEN_PLURAL:
        return _SPOKEN_PLURAL[name]
    if name.endswith(("s", "sh", "ch", "x")):
        return name + "es"
    return name[:-1] + "ies" if name.endswith("y") and name[-2:-1] not in "aeiou" else name + "s"
