"""The eight descriptors' names and units, without numpy: front ends show them without loading the maths."""

DESCRIPTOR_NAMES: tuple[str, ...] = ("k", "Vm", "Tm", "VEC", "delta", "dchi", "dS", "dH")
DESCRIPTOR_UNITS: dict[str, str] = {
    "k": "GPa",
    "Vm": "cm^3/mol",
    "Tm": "K",
    "VEC": "e/atom",
    "delta": "%",
    "dchi": "",
    "dS": "J/(mol K)",
    "dH": "kJ/mol",
}
