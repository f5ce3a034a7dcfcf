"""mnemonics.py — checks that the Reproject dialog's mnemonics (the
underlined letters of its labels) are unique, in English and in each
catalogue given.

usage: mnemonics.py DIALOG.ui [LANG.po ...]
"""
import re
import sys
import xml.etree.ElementTree as ET

# Labels that are never shown together share a letter on purpose: Close
# and Cancel (Cancel replaces Close while a job runs), and the two forms
# of the centre's labels (equatorial or not).
ALTERNATIVES = [
    {"_Close", "_Cancel"},
    {"Lo_ngitude:", "Lo_ngitude (RA):"},
    {"Lat_itude:", "Lat_itude (Dec):"},
]


def letter(text):
    m = re.search(r"_(.)", text)
    return m.group(1).lower() if m else None


def dialog_labels(ui_path):
    root = ET.parse(ui_path).getroot()
    labels = set()
    for prop in root.iter("property"):
        if prop.get("name") == "label" and prop.text and "_" in prop.text:
            labels.add(prop.text)
    # Set from code (reproject-dialog.c, set_centre()).
    if "reproject" in ui_path:
        labels |= {"Lo_ngitude (RA):", "Lat_itude (Dec):"}
    return labels


def read_po(path):
    text = open(path, encoding="utf-8").read()
    cat = {}
    for m in re.finditer(r'^msgid ((?:".*"\n)+)msgstr ((?:".*"\n?)+)', text, re.M):
        def join(block):
            return "".join(re.findall(r'"(.*)"', block)).encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
        cat[join(m.group(1))] = join(m.group(2))
    return cat


def check(labels, name):
    seen = {}
    bad = 0
    for label in sorted(labels):
        c = letter(label)
        if c is None:
            print(f"{name}: '{label}' has no mnemonic")
            bad += 1
            continue
        seen.setdefault(c, []).append(label)
    for c, ls in seen.items():
        if len(ls) > 1 and not any(set(ls) <= group for group in ALTERNATIVES):
            print(f"{name}: '{c}' is the mnemonic of {ls}")
            bad += 1
    print(f"{name}: {len(labels)} labels, {len(seen)} letters")
    return bad


def main():
    labels = dialog_labels(sys.argv[1])
    bad = check(labels, "en")
    for po in sys.argv[2:]:
        cat = read_po(po)
        missing = [l for l in labels if not cat.get(l)]
        if missing:
            print(f"{po}: no translation for {missing}")
            bad += 1
        translated = {l: cat[l] for l in labels if cat.get(l)}
        # Alternatives map to translations: compare them through the
        # English groups.
        global ALTERNATIVES
        ALTERNATIVES = ALTERNATIVES + [
            {translated.get(x, x) for x in g} for g in ALTERNATIVES
        ]
        bad += check(set(translated.values()), po)
    sys.exit(1 if bad else 0)


main()
