"""A deterministic generated catalog, so every local stack and load test gets the same data."""

import random
from dataclasses import astuple, dataclass

import asyncpg

CATEGORIES = {
    "books": (["Pocket", "Illustrated", "Annotated", "Collected", "Classic"],
              ["Atlas", "Cookbook", "Novel", "Field Guide", "Poetry Anthology"]),
    "electronics": (["Wireless", "Compact", "Smart", "Portable", "Noise-Cancelling"],
                    ["Headphones", "Speaker", "Charger", "Keyboard", "Webcam"]),
    "garden": (["Cedar", "Galvanised", "Folding", "Self-Watering", "Heavy-Duty"],
               ["Planter", "Trowel", "Hose Reel", "Bench", "Seed Tray"]),
    "home": (["Linen", "Ceramic", "Oak", "Woven", "Enamel"],
             ["Lamp", "Mug", "Throw", "Side Table", "Storage Basket"]),
    "kitchen": (["Cast-Iron", "Stainless", "Non-Stick", "Bamboo", "Copper"],
                ["Skillet", "Saucepan", "Cutting Board", "Kettle", "Knife Set"]),
    "outdoor": (["Ultralight", "Waterproof", "Insulated", "Packable", "Trail"],
                ["Tent", "Backpack", "Sleeping Bag", "Headlamp", "Water Bottle"]),
    "sports": (["Pro", "Training", "Junior", "Competition", "Recovery"],
               ["Football", "Yoga Mat", "Racket", "Skipping Rope", "Foam Roller"]),
    "toys": (["Wooden", "Magnetic", "Glow-in-the-Dark", "Musical", "Stacking"],
             ["Puzzle", "Train Set", "Building Blocks", "Kite", "Marble Run"]),
}
COLOURS = ["Red", "Blue", "Green", "Black", "White", "Grey", "Yellow", "Navy"]
SEED_SKU_PREFIX = "SEED-"


@dataclass
class SeedProduct:
    sku: str
    name: str
    description: str
    category: str
    price_cents: int
    stock: int


def generate_catalog(count: int) -> list[SeedProduct]:
    """Return `count` products; product n is the same in every call and every run."""
    categories = sorted(CATEGORIES)
    products = []
    for number in range(1, count + 1):
        generator = random.Random(number)
        category = categories[number % len(categories)]
        adjectives, nouns = CATEGORIES[category]
        name = (
            f"{generator.choice(adjectives)} {generator.choice(nouns)}"
            f" {generator.choice(COLOURS)} {number}"
        )
        products.append(
            SeedProduct(
                sku=f"{SEED_SKU_PREFIX}{number:06d}",
                name=name,
                description=f"{name}, from the {category} range.",
                category=category,
                price_cents=generator.randrange(199, 50_000),
                stock=generator.randrange(0, 500),
            )
        )
    return products


async def seed_catalog(connection: asyncpg.Connection, *, count: int) -> int:
    """Insert the generated products missing by SKU in one statement; return how many."""
    columns = list(zip(*(astuple(product) for product in generate_catalog(count)), strict=True))
    if not columns:
        return 0
    rows = await connection.fetch(
        "INSERT INTO products (sku, name, description, category, price_cents, stock)"
        " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],"
        " $5::integer[], $6::integer[])"
        " ON CONFLICT (sku) DO NOTHING RETURNING id",
        *columns,
    )
    return len(rows)
