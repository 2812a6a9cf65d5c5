"""A hand-built persona set for the export tests: Latin, Arabic and CJK names, a hidden trait, an
excluded persona, descriptors, quotes and faces (built by hand, so every expected text is known)."""

from __future__ import annotations

from persona_lab.personas.faces import face_svg
from persona_lab.personas.model import Descriptor, GroupWeight, Interest, Persona, PersonaSet, Trait

MANIFEST = {"package_version": "0.1.0", "dataset": "customers.csv", "data_fingerprint": "sha256:abc123",
            "method": "kmeans", "parameters": {"n_init": 10}, "k_requested": 4, "seed": 42,
            "preparation": {"steps": ["spend: numeric, standard scaled"]}}
HIDDEN_TRAIT = "loyalty_tier"
EXCLUDED = "Excluded Person Xavier"
LATIN, ARABIC, CJK = "Sofia Fischer", "ليلى حسن", "加藤 陽子"


def persona_set() -> PersonaSet:
    traits = [
        Trait("spend", "numeric", 412.0, 230.0, 1.3, text="spend: 412 vs 230 overall", ci_low=380.0, ci_high=440.0,
              support=200),
        Trait("visits", "numeric", 3.1, 5.2, -0.6, text="visits: 3.1 vs 5.2 overall", support=200),
        Trait(HIDDEN_TRAIT, "category", 0.62, 0.21, 0.88, level="gold", lift=2.95,
              text=f"{HIDDEN_TRAIT} = gold: 62% vs 21% overall", support=120, hidden=True),
    ]
    interests = [Interest(f"video_{i}", round(0.3 / (i + 1), 6), label=f"Pasta part {i}", topic="Food") for i in range(12)]
    descriptors = [
        Descriptor("revenue", "numeric", None, 120.5, 110.0, 131.0, 90.0, 0.001, 0.004, True, "revenue: 120 vs 90"),
        Descriptor("channel", "category", "web", 0.4, 0.33, 0.47, 0.5, 0.2, 0.3, False, "web: 40% vs 50%"),
    ]
    personas = [
        Persona(0, LATIN, 412, 0.412, demographics={"age": "25-34", "country": "DE"}, gender="female",
                country="DE", age="29", traits=traits, explanation="Differs most in spend.",
                narrative="Sofia plans every purchase ahead.", face=face_svg("0", 42, "female", 29),
                stability=0.87, quotes=["I always compare prices first.", "Delivery speed matters to me."],
                terms=["price", "delivery"], descriptors=descriptors),
        Persona(1, ARABIC, 300, 0.30, gender="female", country="EG", age="38", interests=interests,
                face=face_svg("1", 42, "female", 38), explanation="Top group: female 35-44 EG.",
                narrative="تحب ليلى الطبخ.",
                groups=[GroupWeight("35-44 · female · EG", 0.31), GroupWeight("25-34 · female · EG", 0.2)]),
        Persona(2, CJK, 231, 0.231, demographics={"segment": "<i>x</i> **bold**"}, narrative="陽子さんは毎朝ニュースを読みます。"),
        Persona(3, EXCLUDED, 57, 0.057, narrative="Never exported.", include=False),
    ]
    return PersonaSet(method="kmeans", k=4, personas=personas, manifest=dict(MANIFEST), dataset="customers.csv")
