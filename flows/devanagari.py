"""Hindi written in Devanagari, read the way Hindi is typed in Latin letters ("मुझे मारता है" → "mujhe maarta hai").

Triage's Hindi rules and the net were written for Hindi typed in Latin letters, the WhatsApp way; a message in
Devanagari read `ok` whatever it said. `romanise` spells it out in Latin before triage: consonants with their
inherent "a", vowel signs, and the inherent "a" dropped where Hindi speakers drop it (word-final, and between a
vowel-bearing syllable and another — "करता" → "karta", "समझ" → "samajh"), which is how people type it.

People spell long vowels both ways ("maarta" / "marta", "jaan" / "jan", "nahin" / "nahi"), so `romanise` gives two
spellings: `long=True` doubles long vowels inside a word and keeps a final nasal as "n"; `long=False` writes them
single and drops a final nasal. Triage reads both, as it reads "dieee" and "die".
"""

from __future__ import annotations

import re

_VIRAMA = "\u094d"
_NUKTA = "\u093c"
_ANUSVARA, _CHANDRABINDU, _VISARGA = "\u0902", "\u0901", "\u0903"

_CONSONANTS = {
    "क": "k", "ख": "kh", "ग": "g", "घ": "gh", "ङ": "n",
    "च": "ch", "छ": "chh", "ज": "j", "झ": "jh", "ञ": "n",
    "ट": "t", "ठ": "th", "ड": "d", "ढ": "dh", "ण": "n",
    "त": "t", "थ": "th", "द": "d", "ध": "dh", "न": "n",
    "प": "p", "फ": "ph", "ब": "b", "भ": "bh", "म": "m",
    "य": "y", "र": "r", "ल": "l", "ळ": "l", "व": "v",
    "श": "sh", "ष": "sh", "स": "s", "ह": "h",
}
# Letters with a nukta, precomposed or as base + U+093C: the sounds borrowed from Persian and English.
_NUKTA_FORMS = {"क": "k", "ख": "kh", "ग": "g", "ज": "z", "ड": "d", "ढ": "dh", "फ": "f", "य": "y", "न": "n", "र": "r"}
_PRECOMPOSED = {"\u0958": "क", "\u0959": "ख", "\u095a": "ग", "\u095b": "ज", "\u095c": "ड", "\u095d": "ढ",
                "\u095e": "फ", "\u095f": "य"}
# (inside a word, at its end) for long=True; long=False writes both as the second.
_SIGNS = {
    "\u093e": ("aa", "a"), "\u093f": ("i", "i"), "\u0940": ("ee", "i"), "\u0941": ("u", "u"),
    "\u0942": ("oo", "u"), "\u0943": ("ri", "ri"), "\u0947": ("e", "e"), "\u0948": ("ai", "ai"),
    "\u094b": ("o", "o"), "\u094c": ("au", "au"), "\u0945": ("e", "e"), "\u0949": ("o", "o"),
    "\u0946": ("e", "e"), "\u094a": ("o", "o"),
}
_VOWELS = {
    "अ": ("a", "a"), "आ": ("aa", "a"), "इ": ("i", "i"), "ई": ("ee", "i"), "उ": ("u", "u"), "ऊ": ("oo", "u"),
    "ऋ": ("ri", "ri"), "ए": ("e", "e"), "ऐ": ("ai", "ai"), "ओ": ("o", "o"), "औ": ("au", "au"),
    "ऍ": ("e", "e"), "ऑ": ("o", "o"), "ऎ": ("e", "e"), "ऒ": ("o", "o"),
}
_OTHER = {"ॐ": "om", "ऽ": "", "\u200c": "", "\u200d": ""}

_WORD = re.compile(r"[\u0900-\u0963\u0970-\u097f\u200c\u200d]+")
_MARKS = str.maketrans({"।": ".", "॥": ".", **{chr(0x0966 + d): str(d) for d in range(10)}})
HAS_DEVANAGARI = re.compile(r"[\u0900-\u097f]")

# English words written in Devanagari are typed in their English spelling ("बॉस" is "boss", not "bos"): the
# rules know them so ("mera boss mujhe maar dalega" is a figure of speech; "mummy", "phone", "police").
_LOANS = {
    "बॉस": "boss", "ऑफिस": "office", "ऑफ़िस": "office", "पुलिस": "police", "फोन": "phone", "फ़ोन": "phone",
    "मोबाइल": "mobile", "डॉक्टर": "doctor", "डाक्टर": "doctor", "हॉस्पिटल": "hospital", "टैबलेट": "tablet",
    "टेबलेट": "tablet", "टैबलेट्स": "tablets", "पिल्स": "pills", "स्कूल": "school", "टीचर": "teacher",
    "सर": "sir", "कोच": "coach", "मैच": "match", "क्रिकेट": "cricket", "गेम": "game", "एग्जाम": "exam",
    "एग्ज़ाम": "exam", "टेस्ट": "test", "रिजल्ट": "result", "रिज़ल्ट": "result", "मार्क्स": "marks",
    "मैनेजर": "manager", "कॉलेज": "college", "ट्यूशन": "tuition", "गन": "gun", "नाइफ": "knife", "एसिड": "acid",
    "पेट्रोल": "petrol", "गैस": "gas", "रूम": "room", "बाथरूम": "bathroom", "कार": "car", "बाइक": "bike",
    "मम्मी": "mummy", "पापा": "papa", "हस्बैंड": "husband", "बॉयफ्रेंड": "boyfriend", "बॉयफ़्रेंड": "boyfriend",
    "गर्लफ्रेंड": "girlfriend", "गर्लफ़्रेंड": "girlfriend", "सॉरी": "sorry", "प्लीज": "please", "प्लीज़": "please",
    "हेल्प": "help", "वीडियो": "video", "फोटो": "photo", "फ़ोटो": "photo", "चैट": "chat", "मैसेज": "message",
}


def _syllables(word: str) -> list[list[str]]:
    """[consonants, vowel, nasal, how many consonants] units: a consonant cluster with its vowel ("" after a
    virama, None for the inherent "a" not yet decided), or an independent vowel with no consonants."""
    units: list[list] = []
    i = 0
    while i < len(word):
        ch = _PRECOMPOSED.get(word[i], word[i])
        nukta = word[i] in _PRECOMPOSED
        if ch in _CONSONANTS:
            if i + 1 < len(word) and word[i + 1] == _NUKTA:
                nukta, i = True, i + 1
            sound = _NUKTA_FORMS.get(ch, _CONSONANTS[ch]) if nukta else _CONSONANTS[ch]
            if units and units[-1][1] == "" and units[-1][0]:  # after a virama: one cluster ("त्र" → "tr")
                units[-1][0] += sound
                units[-1][1] = None
                units[-1][3] += 1
            else:
                units.append([sound, None, "", 1])
        elif ch == _VIRAMA and units:
            units[-1][1] = ""
        elif ch in _SIGNS and units and units[-1][1] is None and units[-1][0]:
            units[-1][1] = ch
        elif ch in _VOWELS:
            units.append(["", ch, "", 0])
        elif ch in (_ANUSVARA, _CHANDRABINDU) and units:
            units[-1][2] = "n"
        elif ch == _VISARGA and units:
            units[-1][2] = "h"
        elif ch in _OTHER:
            units.append([_OTHER[ch], "", "", 0])
        i += 1
    return units


def _spell(word: str, long: bool) -> str:
    if word in _LOANS:
        return _LOANS[word]
    units = _syllables(word)
    n = len(units)
    # Which inherent vowels are spoken: not the last (unless the word is one syllable), nor one between a
    # syllable that has a vowel and one that keeps its own ("kar-ta", "sa-majh"); read from the right, as the
    # dropped vowels change what follows.
    spoken = [u[1] is None for u in units]
    if n > 1 and units[-1][1] is None and units[-1][0]:
        spoken[-1] = False
    for k in range(n - 2, 0, -1):
        # Not next to a cluster ("as-pa-taal", "za-bar-das-ti"): three consonants in a row is not how it is said.
        if units[k][1] is None and units[k][3] == 1 and not units[k][2] and units[k + 1][3] <= 1:
            before = units[k - 1][1] is None and spoken[k - 1] or bool(units[k - 1][1])
            after = units[k + 1][0] and (spoken[k + 1] or bool(units[k + 1][1]))
            if before and after:
                spoken[k] = False
    out = []
    for k, (cons, vowel, nasal, _) in enumerate(units):
        last = k == n - 1 and n > 1
        if vowel is None:
            sound = "a" if spoken[k] else ""
        elif spellings := _SIGNS.get(vowel) or _VOWELS.get(vowel):
            sound = spellings[1 if last or not long else 0]
        else:
            sound = ""  # after a virama, or a unit spelled whole by _OTHER
        if nasal == "n" and k == n - 1:
            if not long:
                nasal = ""
            elif vowel == "\u0947":
                sound = "ei"  # "में" → "mein", "तुम्हें" → "tumhein", as typed
        out.append(cons + sound + nasal)
    return "".join(out)


def romanise(text: str, long: bool = True) -> str:
    """`text` with every Devanagari word spelled in Latin letters, the rest as it was."""
    return _WORD.sub(lambda m: _spell(m.group(0), long), text).translate(_MARKS)
