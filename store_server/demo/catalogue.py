"""The demo chain's catalogue (electronics and a fresh supermarket) as plain, deterministic data.

Also ``large_catalogue``: a fast, streaming generator of synthetic products for benchmarks.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import product as _cartesian

from retail.gs1 import with_check_digit

LOCALES = ("en", "es", "zh", "ru")
CURRENCIES = ("RUB", "EUR", "BRL", "USD", "GBP", "CAD", "CNY")
IMAGE_BASE = "https://images.plaza.example/products/"


@dataclass(frozen=True)
class SkuSpec:
    code: str
    gtins: tuple[str, ...]
    sold_by: str  # "unit" or "weight" (then prices are per kilogram)
    tax_class: str  # "standard", "reduced" or "zero"
    variant: dict[str, str]
    prices: dict[str, int]  # currency -> integer minor units, every currency in CURRENCIES


@dataclass(frozen=True)
class ProductSpec:
    code: str
    category: str
    brand: str
    names: dict[str, str]  # locale -> name, for every locale in LOCALES
    descriptions: dict[str, str]
    origin: dict[str, str]  # traceability facts, all values strings
    image_url: str
    skus: tuple[SkuSpec, ...]


# --------------------------------------------------------------------------------------------
# Prices: a base price in euro cents, converted per market and rounded to local price points.

# Local shelf price per euro of the Spanish price: exchange rate times how dear the goods are
# in that market (electronics carry import duties in Brazil; food is cheap in Russia and China).
_FACTORS = {
    "electronics": {"RUB": 93.5, "BRL": 6.7, "USD": 1.0, "GBP": 0.87, "CAD": 1.45, "CNY": 7.7},
    "grocery": {"RUB": 75.0, "BRL": 4.6, "USD": 1.15, "GBP": 0.92, "CAD": 1.55, "CNY": 6.8},
}
# Food sold in the country that grows it is cheaper there.
_HOME_CURRENCY = {"CN": "CNY", "RU": "RUB", "BR": "BRL", "US": "USD", "GB": "GBP", "CA": "CAD"}
_HOME_DISCOUNT = 0.8

# Per currency: (below this many minor units, round to a multiple of step, then subtract offset).
_PENNY = [(1_000, 10, 1), (10_000, 100, 1), (100_000, 1_000, 100), (None, 10_000, 100)]
_PRICE_POINTS = {
    # 0.49, 4.99 / 12.99, 49.99 / 129.00, 299.00 / 1299.00
    "EUR": _PENNY, "USD": _PENNY, "GBP": _PENNY, "CAD": _PENNY,
    # whole roubles: 89 / 349 / 2 990 / 27 990
    "RUB": [(10_000, 1_000, 100), (100_000, 1_000, 100), (1_000_000, 10_000, 1_000),
            (None, 100_000, 1_000)],
    # 4.99 / 12.90 / 114.90 / 1 999.00
    "BRL": [(1_000, 10, 1), (100_000, 100, 10), (None, 10_000, 100)],
    # ¥9.9 / ¥129 / ¥2299
    "CNY": [(10_000, 100, 10), (100_000, 1_000, 100), (None, 10_000, 100)],
}


def price_point(minor: int, currency: str) -> int:
    """``minor`` rounded to a price point shoppers in ``currency`` expect (always > 0)."""
    step, offset = next((step, offset) for below, step, offset in _PRICE_POINTS[currency]
                        if below is None or minor < below)
    steps = max(1, (minor + step // 2) // step)
    return steps * step - offset


def market_prices(eur_cents: int, segment: str, origin_country: str = "",
                  adjust: dict[str, float] | None = None) -> dict[str, int]:
    """Prices in every chain currency from a euro price (kept exactly as given)."""
    factors = _FACTORS[segment]
    home = _HOME_CURRENCY.get(origin_country) if segment == "grocery" else None
    prices: dict[str, int] = {}
    for currency in CURRENCIES:
        if currency == "EUR":
            prices[currency] = eur_cents
            continue
        factor = factors[currency]
        if currency == home:
            factor *= _HOME_DISCOUNT
        if adjust and currency in adjust:
            factor *= adjust[currency]
        prices[currency] = price_point(round(eur_cents * factor), currency)
    return prices


# --------------------------------------------------------------------------------------------
# GTINs: fictitious GS1 company prefixes (the first digits name the GS1 member organisation:
# 69 China, 46 Russia, 84 Spain, 40-44 Germany, 45 Japan, 70 Norway, 0 UPC for the USA...).

_BRANDS: dict[str, str] = {
    # electronics
    "Lumio": "6975112", "Orion": "6971830", "SoundPeak": "6973406", "VoltEdge": "6974521",
    "Orbit": "6970287", "CleanBot": "6976013", "Zipway": "6977740", "Vistara": "6978305",
    "Kestrel": "4019645", "Tabula": "6979512", "Keyforge": "4065310", "Shutterly": "4589231",
    "Nestra": "8437021",
    # groceries
    "Plaza": "8437990", "Nordhav": "7090412", "Lonja Gallega": "8436543",
    "Ningde Haiyang": "6923418", "Kareliya Ryba": "4607153", "Barents Catch": "4607288",
    "Costa Azul": "7861234", "Atlantic Shore": "7540321", "Fazenda Boa Vista": "7891045",
    "Granjas del Ebro": "8435021", "Dehesa Extremeña": "8435377", "Aurora Aves": "7893310",
    "Southern Pasture": "9421002", "Yangcheng Lake": "6921455", "Claires de la Seudre": "3760123",
    "Weidehof": "4012859", "Zorka": "4607420", "Olympos Valley": "5201234",
    "Quesería La Mancha": "8431122", "Qingxi": "6938801", "Wuchang Heitu": "6945203",
    "Siam Golden": "8850412", "Arroz de Calasparra": "8432288", "Altai Zerno": "4607555",
    "Wanfu": "6920177", "Zhongyuan": "6931006", "Lijiang": "6941550",
    "Pastificio Vesuvio": "8012345", "Meijiawu": "6950331", "Anxi Tea House": "6955702",
    "Lancang Tea": "6958804", "Sochi Tea Gardens": "4607611", "Fuzhou Moli": "6951200",
    "Sibirsky Dvor": "4607702", "Nanxiang Kitchen": "6922605", "Ningbo Ruyi": "6933417",
    "Horno de Leña": "8437345", "Moskovsky Khleb": "4607833", "Mianbao Fang": "6937712",
    "Granja Los Olmos": "8434410", "Gaoyou Lake": "6926108", "Zaokskaya": "4607901",
    "Fuente Clara": "8433007", "Huerta de Valencia": "8436120", "Samui Gold": "8851177",
    "Staraya Melnitsa": "4607944", "Qingquan": "6948310", "Cascade Roasters": "0812345",
    "Crujiente": "8437612", "Haiyun": "6939920", "Pingjiang Weidao": "6947721",
    "Kuban Zoloto": "4607988", "Chocolaterie Alpina": "7612345",
    "Frutos Secos del Camp": "8438801", "El Artesano de Jijona": "8410567",
    "Almazara del Sur": "8437701", "Zhujiang Jiangyuan": "6902201",
}
# Short GTIN-8 codes for small packs, by the producer's country.
_GTIN8_PREFIX = {"ES": "843", "CN": "693", "TH": "885", "CH": "761", "RU": "460"}
# The large benchmark catalogue uses GS1 India (890), which the demo never uses.
LARGE_GS1_PREFIX = "890"


class _Gtins:
    """Hands out consecutive item references under each company prefix."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}

    def take(self, prefix: str, length: int) -> str:
        item = self._next.get(prefix, 1)
        self._next[prefix] = item + 1
        width = length - 1 - len(prefix)
        if item >= 10**width:
            raise ValueError(f"GS1 prefix {prefix} has no item references left")
        return with_check_digit(f"{prefix}{item:0{width}d}")

    def for_brand(self, brand: str) -> str:
        prefix = _BRANDS[brand]
        # A company prefix starting with 0 is a U.P.C. company prefix: GTIN-12.
        return self.take(prefix, 12 if prefix.startswith("0") else 13)


# --------------------------------------------------------------------------------------------
# Definitions: the hand-written data, turned into specs by ``demo_catalogue``.


def _t(en: str, es: str, zh: str, ru: str) -> dict[str, str]:
    return {"en": en, "es": es, "zh": zh, "ru": ru}


# A variant option: (SKU code suffix, variant attributes, euro cents added to the base price).
_Option = tuple[str, dict[str, str], int]


@dataclass(frozen=True)
class _Def:
    code: str
    category: str
    brand: str
    names: dict[str, str]
    descriptions: dict[str, str]
    origin: dict[str, str]
    eur: int
    segment: str  # "electronics" or "grocery"
    sold_by: str = "unit"
    variants: tuple[_Option, ...] = ()
    adjust: dict[str, float] | None = None
    extra_gtin: str = ""  # "", "gtin13" (second box code) or "gtin8" (short code)


def _axis(key: str, *options: tuple[str, str, int]) -> list[_Option]:
    return [(suffix, {key: value}, delta) for suffix, value, delta in options]


_COLOURS = {"black": "BLK", "white": "WHT", "blue": "BLU", "green": "GRN", "silver": "SLV",
            "titanium": "TTN", "purple": "PRP", "cream": "CRM", "grey": "GRY", "pink": "PNK",
            "red": "RED", "orange": "ORG"}


def _colours(*names: str) -> list[_Option]:
    return [(_COLOURS[name], {"color": name}, 0) for name in names]


def _storage(*options: tuple[str, int]) -> list[_Option]:
    return [(value.replace(" GB", "").replace(" TB", "T"), {"storage": value}, delta)
            for value, delta in options]


def _plugs() -> list[_Option]:
    return [(plug, {"plug": plug}, 0) for plug in ("EU", "UK", "US", "CN")]


def _cross(*axes: list[_Option]) -> tuple[_Option, ...]:
    combined = []
    for options in _cartesian(*axes):
        suffix = "-".join(o[0] for o in options)
        variant: dict[str, str] = {}
        for o in options:
            variant.update(o[1])
        combined.append((suffix, variant, sum(o[2] for o in options)))
    return tuple(combined)


def _origin(**facts: object) -> dict[str, str]:
    return {key: str(value) for key, value in facts.items()}


# ---- electronics: names and descriptions from templates, translated part by part ----------


def _render(value: object, locale: str) -> str:
    """A template parameter in ``locale``: per-locale dicts, numbers with local separators."""
    if isinstance(value, dict):
        return value[locale]
    if isinstance(value, float):
        text = f"{value:g}"
        return text.replace(".", ",") if locale in ("es", "ru") else text
    if isinstance(value, int) and value >= 10_000:
        if locale == "en":
            return f"{value:,}"
        if locale in ("es", "ru"):
            return f"{value:,}".replace(",", "\u00a0")
    return str(value)


_NAMED = _t("{brand} {model} {kind}", "{kind} {brand} {model}", "{brand} {model} {kind}",
            "{kind} {brand} {model}")

_TEMPLATES: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "phone": (
        _t("{brand} {model} smartphone", "Smartphone {brand} {model}",
           "{brand} {model} 智能手机", "Смартфон {brand} {model}"),
        _t("{screen}-inch AMOLED display, {camera} MP main camera and a {battery} mAh battery "
           "with {charge} W fast charging. Dual SIM and NFC for contactless payments.",
           "Pantalla AMOLED de {screen} pulgadas, cámara principal de {camera} MP y batería de "
           "{battery} mAh con carga rápida de {charge} W. Dual SIM y NFC para pagos sin contacto.",
           "{screen} 英寸 AMOLED 屏幕，{camera}MP 主摄，{battery}mAh 大电池，支持 {charge}W "
           "快充。双卡双待，支持 NFC 移动支付。",
           "AMOLED-экран {screen}″, основная камера {camera} Мп и аккумулятор {battery} мА·ч "
           "с быстрой зарядкой {charge} Вт. Две SIM-карты и NFC для бесконтактной оплаты."),
    ),
    "case": (
        _t("Silicone case for {brand} {model}", "Funda de silicona para {brand} {model}",
           "{brand} {model} 硅胶手机壳", "Силиконовый чехол для {brand} {model}"),
        _t("Soft-touch silicone case with a microfibre lining, raised edges around the screen "
           "and camera, and full access to buttons and ports.",
           "Funda de silicona de tacto suave con forro de microfibra, bordes elevados alrededor "
           "de la pantalla y la cámara, y acceso total a botones y puertos.",
           "亲肤硅胶材质，内衬超细纤维，屏幕与镜头边缘加高保护，按键与接口开孔精准。",
           "Силиконовый чехол с покрытием soft-touch и подкладкой из микрофибры, бортики вокруг "
           "экрана и камеры, свободный доступ к кнопкам и разъёмам."),
    ),
    "glass": (
        _t("Tempered glass screen protector for {brand} {model}, 2 pack",
           "Protector de pantalla de vidrio templado para {brand} {model}, pack de 2",
           "{brand} {model} 钢化玻璃膜（2 片装）",
           "Защитное стекло для {brand} {model}, 2 шт."),
        _t("9H tempered glass with an oleophobic coating and an installation frame for "
           "bubble-free fitting. The fingerprint sensor keeps working.",
           "Vidrio templado 9H con recubrimiento oleófobo y marco de instalación para colocarlo "
           "sin burbujas. El lector de huellas sigue funcionando.",
           "9H 硬度钢化玻璃，疏油防指纹涂层，附贴膜神器，轻松无气泡贴合，不影响屏下指纹解锁。",
           "Закалённое стекло 9H с олеофобным покрытием и рамкой для установки без пузырей. "
           "Сканер отпечатков продолжает работать."),
    ),
    "earbuds": (
        _t("{brand} {model} wireless earbuds", "Auriculares inalámbricos {brand} {model}",
           "{brand} {model} 真无线蓝牙耳机", "Беспроводные наушники {brand} {model}"),
        _t("Active noise cancellation up to {anc} dB, up to {hours} hours of music with the "
           "charging case, Bluetooth 5.3 and {ip} splash resistance.",
           "Cancelación activa de ruido de hasta {anc} dB, hasta {hours} horas de música con el "
           "estuche de carga, Bluetooth 5.3 y resistencia a salpicaduras {ip}.",
           "主动降噪深度达 {anc}dB，配合充电盒续航最长 {hours} 小时，蓝牙 5.3，{ip} 级防水防溅。",
           "Активное шумоподавление до {anc} дБ, до {hours} ч музыки с зарядным кейсом, "
           "Bluetooth 5.3 и защита от брызг {ip}."),
    ),
    "charger": (
        _t("{brand} {watts} W USB-C fast charger", "Cargador rápido USB-C {brand} de {watts} W",
           "{brand} {watts}W USB-C 快速充电器",
           "Быстрое зарядное устройство {brand} USB-C {watts} Вт"),
        _t("Compact wall charger with one USB-C port and USB Power Delivery {pd}. Charges a "
           "phone to 50% in about {half} minutes.",
           "Cargador de pared compacto con un puerto USB-C y USB Power Delivery {pd}. Carga un "
           "móvil al 50 % en unos {half} minutos.",
           "小巧的墙插充电器，一个 USB-C 接口，支持 USB PD {pd} 快充协议，约 {half} 分钟可为"
           "手机充至 50%。",
           "Компактное сетевое зарядное устройство с портом USB-C и поддержкой USB Power "
           "Delivery {pd}. Заряжает смартфон до 50 % примерно за {half} мин."),
    ),
    "gan_charger": (
        _t("{brand} {watts} W GaN charger, {ports} ports",
           "Cargador GaN {brand} de {watts} W con {ports} puertos",
           "{brand} {watts}W 氮化镓充电器（{ports} 口）",
           "Зарядное устройство {brand} GaN {watts} Вт, {ports} порта"),
        _t("Gallium-nitride charger about the size of a matchbox: {ports} ports sharing "
           "{watts} W, enough for a laptop and a phone at the same time. Foldable pins.",
           "Cargador de nitruro de galio del tamaño de una caja de cerillas: {ports} puertos que "
           "comparten {watts} W, suficiente para un portátil y un móvil a la vez. Clavija "
           "plegable.",
           "氮化镓充电器，体积小巧如火柴盒：{ports} 个接口共享 {watts}W 功率，可同时为笔记本"
           "电脑和手机充电。插脚可折叠。",
           "Зарядное устройство на нитриде галлия размером со спичечный коробок: {ports} порта "
           "с общей мощностью {watts} Вт — хватит, чтобы одновременно заряжать ноутбук и "
           "смартфон. Складная вилка."),
    ),
    "cable": (
        _t("{brand} {ends} cable, {watts} W", "Cable {ends} {brand} de {watts} W",
           "{brand} {ends} 数据线 {watts}W", "Кабель {brand} {ends}, {watts} Вт"),
        _t("Charges at up to {watts} W and transfers data at {speed}. Reinforced connectors, "
           "tested to withstand 20,000 bends.",
           "Carga a hasta {watts} W y transfiere datos a {speed}. Conectores reforzados, "
           "probado para resistir 20 000 dobleces.",
           "最高支持 {watts}W 充电，数据传输速率 {speed}。接头加固，通过 2 万次弯折测试。",
           "Зарядка мощностью до {watts} Вт, передача данных со скоростью {speed}. Усиленные "
           "разъёмы выдерживают 20 000 изгибов."),
    ),
    "power_bank": (
        _t("{brand} {capacity} mAh power bank", "Batería externa {brand} de {capacity} mAh",
           "{brand} {capacity}mAh 充电宝", "Внешний аккумулятор {brand} {capacity} мА·ч"),
        _t("{watts} W fast charging through USB-C in both directions; charges a typical phone "
           "about {charges} times. Allowed in cabin baggage.",
           "Carga rápida de {watts} W por USB-C en ambos sentidos; carga un móvil típico unas "
           "{charges} veces. Apta para llevar en cabina.",
           "USB-C 双向 {watts}W 快充，可为普通手机充电约 {charges} 次。符合民航随身携带规定。",
           "Быстрая зарядка {watts} Вт через USB-C в обе стороны; заряжает обычный смартфон "
           "примерно {charges_ru}. Можно брать в ручную кладь."),
    ),
    "watch": (
        _t("{brand} {model} smartwatch", "Reloj inteligente {brand} {model}",
           "{brand} {model} 智能手表", "Умные часы {brand} {model}"),
        _t("{screen}-inch AMOLED display, heart-rate and SpO2 sensors, built-in GPS and up to "
           "{days} days of battery life. Water-resistant to 5 ATM.",
           "Pantalla AMOLED de {screen} pulgadas, sensores de frecuencia cardiaca y SpO2, GPS "
           "integrado y hasta {days} días de autonomía. Resistente al agua hasta 5 ATM.",
           "{screen} 英寸 AMOLED 屏幕，心率与血氧监测，内置 GPS，续航最长 {days} 天。5ATM 防水。",
           "AMOLED-экран {screen}″, датчики пульса и SpO2, встроенный GPS и автономность "
           "до {days} дн. Водозащита 5 ATM."),
    ),
    "robot_vacuum": (
        _t("{brand} {model} robot vacuum and mop",
           "Robot aspirador y friegasuelos {brand} {model}",
           "{brand} {model} 扫拖一体机器人", "Робот-пылесос {brand} {model} с влажной уборкой"),
        _t("LiDAR navigation with room mapping, {suction} Pa suction and up to {runtime} minutes "
           "of cleaning per charge. {dock}",
           "Navegación LiDAR con mapa de habitaciones, succión de {suction} Pa y hasta "
           "{runtime} minutos de limpieza por carga. {dock}",
           "激光雷达导航，自动绘制房间地图，{suction}Pa 大吸力，单次充电最长可清扫 {runtime} "
           "分钟。{dock}",
           "Лидарная навигация с картой комнат, мощность всасывания {suction} Па и до {runtime} "
           "мин уборки на одном заряде. {dock}"),
    ),
    "scooter": (
        _t("{brand} {model} electric scooter", "Patinete eléctrico {brand} {model}",
           "{brand} {model} 电动滑板车", "Электросамокат {brand} {model}"),
        _t("{power} W motor, top speed {speed} km/h and a range of up to {range} km. "
           "{tyres}-inch tubeless tyres, front and rear brakes, folds in three seconds.",
           "Motor de {power} W, velocidad máxima de {speed} km/h y hasta {range} km de "
           "autonomía. Neumáticos sin cámara de {tyres} pulgadas, frenos delantero y trasero; "
           "se pliega en tres segundos.",
           "{power}W 电机，最高时速 {speed} km/h，续航最长 {range} km。{tyres} 英寸真空胎，"
           "前后双刹，三秒快速折叠。",
           "Мотор {power} Вт, максимальная скорость {speed} км/ч, запас хода до {range} км. "
           "Бескамерные шины {tyres}″, передний и задний тормоза, складывается за три секунды."),
    ),
    "tv": (
        _t("{brand} {model} 4K {panel} smart TV", "Smart TV {brand} {model} 4K {panel}",
           "{brand} {model} 4K {panel} 智能电视", "Телевизор {brand} {model} 4K {panel} Smart TV"),
        _t("{panel} panel with HDR10+ and Dolby Vision, {hz} Hz refresh rate, Dolby Atmos "
           "sound and a smart TV platform with a voice remote.",
           "Panel {panel} con HDR10+ y Dolby Vision, frecuencia de {hz} Hz, sonido Dolby Atmos "
           "y plataforma smart TV con mando por voz.",
           "{panel} 面板，支持 HDR10+ 与杜比视界，{hz}Hz 刷新率，杜比全景声，智能电视系统，"
           "配语音遥控器。",
           "Матрица {panel} с HDR10+ и Dolby Vision, частота обновления {hz} Гц, звук Dolby "
           "Atmos, Smart TV с голосовым пультом."),
    ),
    "laptop": (
        _t("{brand} {model} laptop", "Portátil {brand} {model}", "{brand} {model} 笔记本电脑",
           "Ноутбук {brand} {model}"),
        _t("{cpu} processor, {screen}-inch {res} display, aluminium body weighing {weight} kg "
           "and up to {battery} hours on battery. Wi-Fi 6E and two USB-C ports with charging.",
           "Procesador {cpu}, pantalla {res} de {screen} pulgadas, cuerpo de aluminio de "
           "{weight} kg y hasta {battery} horas de autonomía. Wi-Fi 6E y dos puertos USB-C con "
           "carga.",
           "{cpu} 处理器，{screen} 英寸 {res} 屏幕，铝合金机身仅重 {weight} kg，续航最长 "
           "{battery} 小时。支持 Wi-Fi 6E，配备两个支持充电的 USB-C 接口。",
           "Процессор {cpu}, экран {screen}″ {res}, алюминиевый корпус весом {weight} кг и до "
           "{battery} ч автономной работы. Wi-Fi 6E и два порта USB-C с зарядкой."),
    ),
    "tablet": (
        _t("{brand} {model} tablet", "Tableta {brand} {model}", "{brand} {model} 平板电脑",
           "Планшет {brand} {model}"),
        _t("{screen}-inch {res} display at {hz} Hz, {battery} mAh battery, four speakers and "
           "support for a magnetic keyboard and stylus.",
           "Pantalla {res} de {screen} pulgadas a {hz} Hz, batería de {battery} mAh, cuatro "
           "altavoces y compatibilidad con teclado magnético y lápiz.",
           "{screen} 英寸 {res} 屏幕，{hz}Hz 刷新率，{battery}mAh 电池，四扬声器，支持磁吸键盘"
           "与手写笔。",
           "Экран {screen}″ {res} с частотой {hz} Гц, аккумулятор {battery} мА·ч, четыре "
           "динамика, поддержка магнитной клавиатуры и стилуса."),
    ),
}

_DOCK = _t("Returns to its charging dock by itself.", "Vuelve solo a su base de carga.",
           "电量不足时自动回充。", "Сам возвращается на зарядную базу.")
_AUTO_EMPTY = _t("The self-emptying dock holds up to 60 days of dust.",
                 "La base de autovaciado guarda el polvo de hasta 60 días.",
                 "自动集尘基站，最长 60 天无需倒垃圾。",
                 "Станция самоочистки вмещает пыль за 60 дней уборки.")
_MBIT = _t("480 Mbit/s", "480 Mbit/s", "480Mbps", "480 Мбит/с")
_GBIT40 = _t("40 Gbit/s (USB4)", "40 Gbit/s (USB4)", "40Gbps（USB4）", "40 Гбит/с (USB4)")
_C_TO_C = _t("USB-C to USB-C", "USB-C a USB-C", "USB-C 转 USB-C", "USB-C — USB-C")
_A_TO_C = _t("USB-A to USB-C", "USB-A a USB-C", "USB-A 转 USB-C", "USB-A — USB-C")
_C_TO_L = _t("USB-C to Lightning", "USB-C a Lightning", "USB-C 转 Lightning", "USB-C — Lightning")


def _ru_times(n: int) -> str:
    """'2 раза', '5 раз': the Russian count of times."""
    few = n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14)
    return f"{n} раза" if few else f"{n} раз"


def _device(code: str, category: str, template: str, brand: str, model: str, eur: int,
            variants: tuple[_Option, ...] = (), *, params: dict[str, object] | None = None,
            kind: dict[str, str] | None = None, desc: dict[str, str] | None = None,
            origin: dict[str, str] | None = None, extra_gtin: str = "",
            names: dict[str, str] | None = None) -> _Def:
    values: dict[str, object] = {"brand": brand, "model": model, **(params or {})}
    if kind is not None:
        values["kind"] = kind
        name_templates, desc_templates = _NAMED, desc
    else:
        name_templates, desc_templates = _TEMPLATES[template]
        desc_templates = desc or desc_templates
    assert desc_templates is not None
    if names is None:
        names = {loc: name_templates[loc].format(**{k: _render(v, loc) for k, v in values.items()})
                 for loc in LOCALES}
    descriptions = {
        loc: desc_templates[loc].format(**{k: _render(v, loc) for k, v in values.items()})
        for loc in LOCALES
    }
    return _Def(code, category, brand, names, descriptions,
                origin or _origin(country="CN", warranty_months=24), eur, "electronics",
                variants=variants, extra_gtin=extra_gtin)


def _phone(code: str, brand: str, model: str, eur: int, screen: float, camera: int,
           battery: int, charge: int, storage: list[_Option], colours: list[_Option]) -> _Def:
    return _device(code, "electronics/phones", "phone", brand, model, eur,
                   _cross(storage, colours), extra_gtin="gtin13",
                   params={"screen": screen, "camera": camera, "battery": battery,
                           "charge": charge})


def _electronics() -> list[_Def]:
    phones = [
        _phone("ELC-PHN-A3", "Lumio", "A3", 17900, 6.6, 50, 5000, 18,
               _storage(("64 GB", 0), ("128 GB", 3000)),
               _colours("black", "blue", "green", "white")),
        _phone("ELC-PHN-X5", "Lumio", "X5 5G", 29900, 6.67, 108, 5000, 67,
               _storage(("128 GB", 0), ("256 GB", 5000)),
               _colours("black", "silver", "blue", "green")),
        _phone("ELC-PHN-X5P", "Lumio", "X5 Pro 5G", 44900, 6.73, 200, 5100, 120,
               _storage(("256 GB", 0), ("512 GB", 10000)),
               _colours("black", "silver", "green")),
        _phone("ELC-PHN-X9U", "Lumio", "X9 Ultra 5G", 89900, 6.8, 200, 5500, 120,
               _storage(("256 GB", 0), ("512 GB", 12000), ("1 TB", 30000)),
               _colours("black", "titanium")),
        _phone("ELC-PHN-N12", "Orion", "Note 12 5G", 22900, 6.72, 64, 5000, 33,
               _storage(("128 GB", 0), ("256 GB", 4000)),
               _colours("black", "purple", "blue")),
        _phone("ELC-PHN-FLIP", "Orion", "Flip 5G", 79900, 6.9, 50, 4000, 45,
               _storage(("256 GB", 0), ("512 GB", 10000)), _colours("black", "cream")),
    ]
    cases = [
        _device(f"ELC-CASE-{short}", "electronics/accessories/phone-cases", "case", brand,
                model, 1299, _cross(_colours("black", "blue", "pink")))
        for short, brand, model in [("A3", "Lumio", "A3"), ("X5", "Lumio", "X5 5G"),
                                    ("X5P", "Lumio", "X5 Pro 5G"), ("X9U", "Lumio", "X9 Ultra 5G"),
                                    ("N12", "Orion", "Note 12 5G")]
    ]
    glass = [
        _device(f"ELC-GLS-{short}", "electronics/accessories/screen-protectors", "glass", brand,
                model, 999)
        for short, brand, model in [("A3", "Lumio", "A3"), ("X5", "Lumio", "X5 5G"),
                                    ("X5P", "Lumio", "X5 Pro 5G"), ("X9U", "Lumio", "X9 Ultra 5G"),
                                    ("N12", "Orion", "Note 12 5G")]
    ]
    audio = [
        _device("ELC-AUD-BL", "electronics/audio/earbuds", "earbuds", "SoundPeak", "Buds Lite",
                1999, _cross(_colours("black", "white")),
                params={"anc": 25, "hours": 28, "ip": "IPX4"}),
        _device("ELC-AUD-B3", "electronics/audio/earbuds", "earbuds", "SoundPeak", "Buds 3",
                3999, _cross(_colours("black", "white", "blue")),
                params={"anc": 40, "hours": 36, "ip": "IP54"}),
        _device("ELC-AUD-B3P", "electronics/audio/earbuds", "earbuds", "SoundPeak",
                "Buds 3 Pro", 8900, _cross(_colours("black", "white", "green")),
                params={"anc": 52, "hours": 44, "ip": "IP55"}),
        _device("ELC-AUD-H1", "electronics/audio/headphones", "", "SoundPeak", "Studio H1",
                12900, _cross(_colours("black", "silver")),
                kind=_t("headphones", "Auriculares", "耳机", "Наушники"),
                names=_t("SoundPeak Studio H1 noise-cancelling headphones",
                         "Auriculares de diadema SoundPeak Studio H1 con cancelación de ruido",
                         "SoundPeak Studio H1 头戴式降噪耳机",
                         "Полноразмерные наушники SoundPeak Studio H1 с шумоподавлением"),
                desc=_t("Over-ear headphones with hybrid noise cancellation, 40 mm drivers, LDAC "
                        "hi-res audio and 60 hours of battery life; five minutes of charging "
                        "gives four hours of music.",
                        "Auriculares de diadema con cancelación de ruido híbrida, transductores "
                        "de 40 mm, audio de alta resolución LDAC y 60 horas de autonomía; cinco "
                        "minutos de carga dan cuatro horas de música.",
                        "混合主动降噪，40mm 动圈单元，支持 LDAC 高解析音频，续航 60 小时；"
                        "充电 5 分钟可听 4 小时。",
                        "Полноразмерные наушники с гибридным шумоподавлением, динамики 40 мм, "
                        "LDAC для звука высокого разрешения и 60 ч работы; пять минут зарядки — "
                        "четыре часа музыки.")),
        _device("ELC-AUD-SPK", "electronics/audio/speakers", "", "SoundPeak", "Boom 2", 4999,
                _cross(_colours("black", "blue", "red")),
                kind=_t("portable Bluetooth speaker", "Altavoz Bluetooth portátil",
                        "便携蓝牙音箱", "Портативная Bluetooth-колонка"),
                desc=_t("30 W stereo sound with a passive bass radiator, IP67 waterproof and "
                        "dustproof, floats in the pool and plays for 20 hours.",
                        "Sonido estéreo de 30 W con radiador pasivo de graves, resistente al "
                        "agua y al polvo IP67, flota en la piscina y suena durante 20 horas.",
                        "30W 立体声，配备被动低音振膜，IP67 防水防尘，可漂浮于泳池水面，"
                        "续航 20 小时。",
                        "Стереозвук 30 Вт с пассивным излучателем басов, защита от воды и пыли "
                        "IP67, держится на воде и играет 20 часов.")),
    ]
    charging = [
        _device("ELC-CHG-20", "electronics/chargers", "charger", "VoltEdge", "", 1299,
                _cross(_plugs()), params={"watts": 20, "pd": "3.0", "half": 30}),
        _device("ELC-CHG-33", "electronics/chargers", "charger", "VoltEdge", "", 1799,
                _cross(_plugs()), params={"watts": 33, "pd": "3.0 PPS", "half": 25}),
        _device("ELC-CHG-65G", "electronics/chargers", "gan_charger", "VoltEdge", "", 3499,
                _cross(_plugs()), params={"watts": 65, "ports": 3}),
        _device("ELC-CHG-100G", "electronics/chargers", "gan_charger", "VoltEdge", "", 5499,
                _cross(_plugs()), params={"watts": 100, "ports": 4}),
        _device("ELC-CHG-WL", "electronics/chargers", "", "VoltEdge", "Q1", 1999,
                kind=_t("wireless charger", "Cargador inalámbrico", "无线充电器",
                        "Беспроводная зарядка"),
                names=_t("VoltEdge Q1 15 W magnetic wireless charger",
                         "Cargador inalámbrico magnético VoltEdge Q1 de 15 W",
                         "VoltEdge Q1 15W 磁吸无线充电器",
                         "Магнитная беспроводная зарядка VoltEdge Q1, 15 Вт"),
                desc=_t("Qi2 magnetic charger for phones and earbuds, with a non-slip base and a "
                        "status light that dims at night.",
                        "Cargador magnético Qi2 para móviles y auriculares, con base "
                        "antideslizante y luz de estado que se atenúa de noche.",
                        "Qi2 磁吸无线充电器，适用于手机和耳机，底部防滑，夜间指示灯自动调暗。",
                        "Магнитная зарядка Qi2 для смартфонов и наушников с нескользящим "
                        "основанием и индикатором, который ночью приглушается.")),
        _device("ELC-CHG-CAR", "electronics/chargers", "", "VoltEdge", "C2", 1599,
                kind=_t("car charger", "Cargador de coche", "车载充电器",
                        "Автомобильное зарядное устройство"),
                names=_t("VoltEdge C2 45 W car charger", "Cargador de coche VoltEdge C2 de 45 W",
                         "VoltEdge C2 45W 车载充电器",
                         "Автомобильное зарядное устройство VoltEdge C2, 45 Вт"),
                desc=_t("Two ports (USB-C and USB-A) sharing 45 W from a 12/24 V socket: charges "
                        "a phone and a tablet at once on the road.",
                        "Dos puertos (USB-C y USB-A) que comparten 45 W desde una toma de "
                        "12/24 V: carga un móvil y una tableta a la vez durante el viaje.",
                        "双口（USB-C + USB-A）共享 45W 输出，适用于 12/24V 车载电源，行车途中"
                        "可同时为手机和平板充电。",
                        "Два порта (USB-C и USB-A) с общей мощностью 45 Вт от розетки 12/24 В: "
                        "заряжает смартфон и планшет одновременно в дороге.")),
    ]
    lengths = _axis("length", ("1M", "1 m", 0), ("2M", "2 m", 200))
    cables = [
        _device("ELC-CBL-CC60", "electronics/cables", "cable", "VoltEdge", "", 799,
                _cross(lengths, _colours("black", "white")),
                params={"ends": _C_TO_C, "watts": 60, "speed": _MBIT}),
        _device("ELC-CBL-CC240", "electronics/cables", "cable", "VoltEdge", "", 2499,
                _cross(_axis("length", ("1M", "1 m", 0), ("2M", "2 m", 500)),
                       _colours("black", "grey")),
                params={"ends": _C_TO_C, "watts": 240, "speed": _GBIT40}),
        _device("ELC-CBL-AC", "electronics/cables", "cable", "VoltEdge", "", 599,
                _cross(lengths, _colours("black", "white")),
                params={"ends": _A_TO_C, "watts": 18, "speed": _MBIT}),
        _device("ELC-CBL-CL", "electronics/cables", "cable", "VoltEdge", "", 999,
                _cross(_axis("length", ("1M", "1 m", 0), ("2M", "2 m", 300)),
                       _colours("white")),
                params={"ends": _C_TO_L, "watts": 27, "speed": _MBIT}),
    ]
    power_banks = [
        _device(f"ELC-PWB-{capacity // 1000}K", "electronics/power-banks", "power_bank",
                "VoltEdge", "", eur, _cross(_colours("black", "white")),
                params={"capacity": capacity, "watts": watts, "charges": charges,
                        "charges_ru": _ru_times(charges)},
                origin=_origin(country="CN", warranty_months=24,
                               battery_wh=round(capacity * 3.7 / 1000, 1)))
        for capacity, watts, charges, eur in [(10000, 20, 2, 1999), (20000, 30, 4, 2999),
                                              (25000, 65, 5, 4999)]
    ]
    band_sizes = _axis("case", ("42", "42 mm", 0), ("46", "46 mm", 2000))
    wearables = [
        _device("ELC-WTC-W5", "electronics/smart-watches", "watch", "Orbit", "Watch 5", 14900,
                _cross(band_sizes, _colours("black", "silver")),
                params={"screen": 1.43, "days": 14}),
        _device("ELC-WTC-W5P", "electronics/smart-watches", "watch", "Orbit", "Watch 5 Pro",
                24900, _cross(_axis("case", ("46", "46 mm", 0)), _colours("black", "titanium")),
                params={"screen": 1.5, "days": 12}),
        _device("ELC-WTC-FIT", "electronics/smart-watches", "watch", "Orbit", "Watch Fit", 7900,
                _cross(_colours("black", "pink", "green")), params={"screen": 1.64, "days": 10}),
        _device("ELC-WTC-BAND9", "electronics/smart-watches", "", "Orbit", "Band 9", 3999,
                _cross(_colours("black", "blue", "pink")),
                kind=_t("fitness band", "Pulsera de actividad", "智能手环", "Фитнес-браслет"),
                desc=_t("Slim band with a 1.62-inch AMOLED screen, sleep and stress tracking, "
                        "150 workout modes and up to 21 days between charges.",
                        "Pulsera fina con pantalla AMOLED de 1,62 pulgadas, seguimiento del "
                        "sueño y del estrés, 150 modos deportivos y hasta 21 días entre cargas.",
                        "轻薄机身，1.62 英寸 AMOLED 屏幕，支持睡眠与压力监测，150 种运动模式，"
                        "充一次电最长可用 21 天。",
                        "Тонкий браслет с AMOLED-экраном 1,62″, отслеживанием сна и стресса, "
                        "150 спортивными режимами и до 21 дня без подзарядки.")),
        _device("ELC-WTC-STRAP", "electronics/accessories/watch-bands", "", "Orbit",
                "Watch 5", 1999,
                _cross(_axis("case", ("42", "42 mm", 0), ("46", "46 mm", 0)),
                       _colours("black", "orange", "blue")),
                kind=_t("sport band", "Correa deportiva para", "运动表带", "Спортивный ремешок для"),
                desc=_t("Soft fluoroelastomer band with a pin-and-tuck clasp that stays put "
                        "during workouts; quick-release pins swap it in seconds. Also fits "
                        "Watch 5 Pro.",
                        "Correa de fluoroelastómero suave con cierre de pasador que no se mueve "
                        "al entrenar; los pasadores de liberación rápida permiten cambiarla en "
                        "segundos. También sirve para el Watch 5 Pro.",
                        "柔软氟橡胶材质，插扣式设计，运动时佩戴稳固；快拆表耳，几秒即可更换。"
                        "同样适用于 Watch 5 Pro。",
                        "Мягкий ремешок из фторкаучука с застёжкой на штифт не сползает во "
                        "время тренировки; быстросъёмные шпильки позволяют сменить его за "
                        "секунды. Подходит и для Watch 5 Pro.")),
    ]
    home = [
        _device("ELC-VAC-S7", "electronics/robot-vacuums", "robot_vacuum", "CleanBot", "S7",
                29900, _cross(_colours("white", "black")),
                params={"suction": 4000, "runtime": 150, "dock": _DOCK}),
        _device("ELC-VAC-S8P", "electronics/robot-vacuums", "robot_vacuum", "CleanBot",
                "S8 Pro", 54900, _cross(_colours("white", "black")),
                params={"suction": 8000, "runtime": 180, "dock": _AUTO_EMPTY}),
        _device("ELC-VAC-MINI", "electronics/robot-vacuums", "robot_vacuum", "CleanBot", "Mini",
                17900, params={"suction": 2700, "runtime": 120, "dock": _DOCK}),
        _device("ELC-VAC-KIT", "electronics/accessories/vacuum-parts", "", "CleanBot",
                "S7 / S8 Pro", 2999,
                kind=_t("replacement kit", "Kit de recambios para", "耗材套装",
                        "Набор расходников для"),
                desc=_t("One main brush, two side brushes, two HEPA filters and four washable "
                        "mop pads: about six months of spares.",
                        "Un cepillo principal, dos cepillos laterales, dos filtros HEPA y cuatro "
                        "mopas lavables: recambios para unos seis meses.",
                        "含主刷 1 个、边刷 2 个、HEPA 滤网 2 个及可水洗拖布 4 块，约够半年使用。",
                        "Основная щётка, две боковые щётки, два HEPA-фильтра и четыре моющиеся "
                        "салфетки — запас примерно на полгода.")),
        _device("ELC-HOME-PLUG", "electronics/smart-home", "", "Nestra", "P1", 1299,
                _cross(_plugs()),
                kind=_t("smart plug", "Enchufe inteligente", "智能插座", "Умная розетка"),
                names=_t("Nestra P1 smart plug with energy monitoring",
                         "Enchufe inteligente Nestra P1 con medidor de consumo",
                         "Nestra P1 智能插座（带电量统计）",
                         "Умная розетка Nestra P1 с учётом энергопотребления"),
                desc=_t("Switch lamps and appliances from your phone or by voice, set schedules "
                        "and see how much energy each device uses.",
                        "Enciende lámparas y electrodomésticos desde el móvil o por voz, "
                        "programa horarios y consulta cuánta energía consume cada aparato.",
                        "通过手机或语音控制台灯与家电，支持定时开关，并可查看每台设备的用电量。",
                        "Управляйте лампами и техникой со смартфона или голосом, задавайте "
                        "расписание и смотрите, сколько энергии потребляет каждый прибор.")),
        _device("ELC-HOME-BULB", "electronics/smart-home", "", "Nestra", "B1", 999,
                _cross(_axis("base", ("E27", "E27", 0), ("E14", "E14", 0))),
                kind=_t("smart LED bulb", "Bombilla LED inteligente", "智能 LED 灯泡",
                        "Умная светодиодная лампа"),
                desc=_t("Wi-Fi bulb with 16 million colours and tunable white from 2700 K to "
                        "6500 K; 806 lumens from 9 W. No hub needed.",
                        "Bombilla wifi con 16 millones de colores y blanco regulable de 2700 K "
                        "a 6500 K; 806 lúmenes con 9 W. No necesita puente.",
                        "Wi-Fi 智能灯泡，1600 万种色彩，色温 2700K–6500K 可调；9W 功率，"
                        "806 流明，无需网关。",
                        "Wi-Fi-лампа: 16 млн цветов и белый свет от 2700 до 6500 K; 806 лм при "
                        "9 Вт. Хаб не нужен."),
                origin=_origin(country="CN", warranty_months=24, energy_class="F")),
        _device("ELC-NET-MESH", "electronics/networking", "", "Lumio", "M6", 12900,
                _cross(_axis("pack", ("2PK", "2 units", 0), ("3PK", "3 units", 6000))),
                kind=_t("Wi-Fi 6 mesh system", "Sistema wifi 6 en malla", "Wi-Fi 6 Mesh 路由器",
                        "Mesh-система Wi-Fi 6"),
                desc=_t("Each unit covers about 130 m²; roam between them without drop-outs, "
                        "with gigabit Ethernet on every node and parental controls in the app.",
                        "Cada unidad cubre unos 130 m²; pasa de una a otra sin cortes, con "
                        "Ethernet gigabit en cada nodo y control parental en la app.",
                        "单台覆盖约 130 平方米，多台之间无缝漫游，每个节点均配千兆网口，"
                        "App 内置家长控制。",
                        "Каждый модуль покрывает около 130 м², переход между ними без разрывов, "
                        "гигабитный Ethernet на каждом узле и родительский контроль в "
                        "приложении.")),
    ]
    scooters = [
        _device("ELC-SCT-E2", "electronics/scooters", "scooter", "Zipway", "E2", 34900,
                params={"power": 300, "speed": 25, "range": 25, "tyres": 8.5},
                origin=_origin(country="CN", warranty_months=24, battery_wh=270)),
        _device("ELC-SCT-E3P", "electronics/scooters", "scooter", "Zipway", "E3 Pro", 54900,
                _cross(_colours("black", "grey")),
                params={"power": 500, "speed": 25, "range": 45, "tyres": 10},
                origin=_origin(country="CN", warranty_months=24, battery_wh=477)),
        _device("ELC-SCT-MAX", "electronics/scooters", "scooter", "Zipway", "Max G3", 79900,
                params={"power": 900, "speed": 25, "range": 70, "tyres": 10},
                origin=_origin(country="CN", warranty_months=24, battery_wh=551)),
    ]
    tvs = [
        _device("ELC-TV-U7", "electronics/tvs", "tv", "Vistara", "U7", 34900,
                _axis("size", ("43", "43 in", 0), ("50", "50 in", 8000), ("55", "55 in", 15000),
                      ("65", "65 in", 35000), ("75", "75 in", 65000)),
                params={"panel": "QLED", "hz": 144},
                origin=_origin(country="CN", warranty_months=24, energy_class="F")),
        _device("ELC-TV-S9", "electronics/tvs", "tv", "Vistara", "S9", 109900,
                _axis("size", ("55", "55 in", 0), ("65", "65 in", 40000)),
                params={"panel": "OLED", "hz": 120},
                origin=_origin(country="CN", warranty_months=24, energy_class="F")),
    ]
    laptops = [
        _device("ELC-LAP-AIR14", "electronics/laptops", "laptop", "Kestrel", "Air 14", 79900,
                tuple((s, {"memory": m, "storage": d}, delta) for s, m, d, delta in [
                    ("16-512", "16 GB", "512 GB", 0), ("16-1T", "16 GB", "1 TB", 10000),
                    ("32-1T", "32 GB", "1 TB", 25000)]),
                params={"cpu": "AMD Ryzen 7 7840U", "screen": 14.0, "weight": 1.2, "battery": 14,
                        "res": _t("2.8K OLED", "OLED 2,8K", "2.8K OLED", "OLED 2,8K")}),
        _device("ELC-LAP-PRO16", "electronics/laptops", "laptop", "Kestrel", "Pro 16", 139900,
                tuple((s, {"memory": m, "storage": d}, delta) for s, m, d, delta in [
                    ("32-1T", "32 GB", "1 TB", 0), ("32-2T", "32 GB", "2 TB", 20000)]),
                params={"cpu": "Intel Core Ultra 7 155H", "screen": 16.0, "weight": 1.9,
                        "battery": 10,
                        "res": _t("2.5K IPS 165 Hz", "IPS 2,5K a 165 Hz", "2.5K IPS 165Hz",
                                  "IPS 2,5K 165 Гц")}),
        _device("ELC-LAP-GO15", "electronics/laptops", "laptop", "Kestrel", "Go 15", 54900,
                tuple((s, {"memory": m, "storage": d}, delta) for s, m, d, delta in [
                    ("8-512", "8 GB", "512 GB", 0), ("16-512", "16 GB", "512 GB", 10000)]),
                params={"cpu": "Intel Core i5-1335U", "screen": 15.6, "weight": 1.7,
                        "battery": 9,
                        "res": _t("Full HD IPS", "IPS Full HD", "全高清 IPS", "IPS Full HD")}),
    ]
    tablets = [
        _device("ELC-TAB-P11", "electronics/tablets", "tablet", "Tabula", "Pad 11", 24900,
                _cross(_storage(("128 GB", 0), ("256 GB", 4000)), _colours("grey", "blue")),
                params={"screen": 11.0, "res": "2.5K", "hz": 120, "battery": 8850}),
        _device("ELC-TAB-P13P", "electronics/tablets", "tablet", "Tabula", "Pad 13 Pro", 44900,
                _cross(_storage(("256 GB", 0), ("512 GB", 9000)), _colours("grey", "silver")),
                params={"screen": 13.0, "res": "3K", "hz": 144, "battery": 10200}),
        _device("ELC-TAB-MINI", "electronics/tablets", "tablet", "Tabula", "Pad Mini", 19900,
                _cross(_storage(("128 GB", 0)), _colours("grey", "pink")),
                params={"screen": 8.8, "res": "2K", "hz": 120, "battery": 6650}),
    ]
    layouts = _axis("layout", ("US", "US", 0), ("ES", "ES", 0), ("RU", "RU", 0), ("UK", "UK", 0))
    de_brand = _origin(country="CN", brand_country="DE", warranty_months=24)
    peripherals = [
        _device("ELC-KBD-K3", "electronics/keyboards", "", "Keyforge", "K3", 6999, _cross(layouts),
                kind=_t("wireless mechanical keyboard", "Teclado mecánico inalámbrico",
                        "无线机械键盘", "Беспроводная механическая клавиатура"),
                desc=_t("Compact 75% layout with hot-swappable tactile switches, a volume knob "
                        "and Bluetooth, 2.4 GHz or USB-C connection; up to 200 hours per charge "
                        "with the backlight off.",
                        "Formato compacto 75 % con interruptores táctiles intercambiables en "
                        "caliente, rueda de volumen y conexión Bluetooth, 2,4 GHz o USB-C; hasta "
                        "200 horas por carga con la retroiluminación apagada.",
                        "紧凑 75% 配列，支持热插拔段落轴，带音量旋钮，蓝牙 / 2.4GHz / USB-C "
                        "三模连接；关闭背光时续航最长 200 小时。",
                        "Компактный формат 75 %, тактильные переключатели с горячей заменой, "
                        "регулятор громкости, подключение по Bluetooth, 2,4 ГГц или USB-C; до "
                        "200 ч работы без подсветки."),
                origin=de_brand),
        _device("ELC-KBD-K1", "electronics/keyboards", "", "Keyforge", "K1", 2999,
                _cross(layouts),
                kind=_t("slim wireless keyboard", "Teclado inalámbrico ultrafino", "超薄无线键盘",
                        "Тонкая беспроводная клавиатура"),
                desc=_t("Quiet low-profile keys; connects to three devices and switches between "
                        "them with one key. Runs for a year on two AAA batteries.",
                        "Teclas de perfil bajo y silenciosas; se conecta a tres dispositivos y "
                        "cambia entre ellos con una tecla. Funciona un año con dos pilas AAA.",
                        "静音低键程设计，可连接三台设备并一键切换；两节 7 号电池可用一年。",
                        "Тихие низкопрофильные клавиши, подключение к трём устройствам с "
                        "переключением одной кнопкой; год работы от двух батареек AAA."),
                origin=de_brand),
        _device("ELC-MSE-M3", "electronics/mice", "", "Keyforge", "M3", 1499,
                _cross(_colours("black", "white", "pink")),
                kind=_t("silent wireless mouse", "Ratón inalámbrico silencioso", "静音无线鼠标",
                        "Бесшумная беспроводная мышь"),
                desc=_t("Silent clicks, a 4000 DPI sensor that works on most surfaces, Bluetooth "
                        "and a 2.4 GHz USB receiver; about 18 months on one AA battery.",
                        "Clics silenciosos, sensor de 4000 DPI que funciona sobre casi cualquier "
                        "superficie, Bluetooth y receptor USB de 2,4 GHz; unos 18 meses con una "
                        "pila AA.",
                        "静音按键，4000 DPI 传感器适用于大多数表面，支持蓝牙与 2.4GHz USB "
                        "接收器；一节 5 号电池约可用 18 个月。",
                        "Бесшумные клики, сенсор 4000 DPI для большинства поверхностей, "
                        "Bluetooth и USB-приёмник 2,4 ГГц; около 18 месяцев от одной батарейки "
                        "AA."),
                origin=de_brand),
        _device("ELC-MSE-G7", "electronics/mice", "", "Keyforge", "G7", 4999,
                kind=_t("wireless gaming mouse", "Ratón gaming inalámbrico", "无线游戏鼠标",
                        "Беспроводная игровая мышь"),
                desc=_t("Weighs 58 g, with a 26,000 DPI optical sensor, optical switches and "
                        "4 kHz wireless polling for competitive play.",
                        "Pesa 58 g, con sensor óptico de 26 000 DPI, interruptores ópticos y "
                        "frecuencia de sondeo inalámbrica de 4 kHz para jugar en competición.",
                        "仅重 58 克，26000 DPI 光学传感器，光学微动，无线回报率 4kHz，"
                        "专为竞技游戏打造。",
                        "Весит 58 г: оптический сенсор 26 000 DPI, оптические переключатели и "
                        "частота опроса 4 кГц по радиоканалу — для киберспорта."),
                origin=de_brand),
        _device("ELC-MSE-V1", "electronics/mice", "", "Keyforge", "V1", 2999,
                _cross(_colours("black", "grey")),
                kind=_t("ergonomic vertical mouse", "Ratón vertical ergonómico",
                        "人体工学垂直鼠标", "Эргономичная вертикальная мышь"),
                desc=_t("A 57° handshake grip that relieves wrist strain, six buttons and a "
                        "USB-C rechargeable battery that lasts two months.",
                        "Agarre en ángulo de 57° que reduce la tensión de la muñeca, seis "
                        "botones y batería recargable por USB-C que dura dos meses.",
                        "57° 握手式设计，缓解手腕压力，六个按键，USB-C 充电，一次充电可用"
                        "两个月。",
                        "Хват «рукопожатием» под углом 57° снимает нагрузку с запястья; шесть "
                        "кнопок и аккумулятор с зарядкой по USB-C на два месяца работы."),
                origin=de_brand),
        _device("ELC-HUB-H7", "electronics/accessories/usb-hubs", "", "VoltEdge", "H7", 3499,
                kind=_t("7-in-1 USB-C hub", "Hub USB-C 7 en 1", "七合一 USB-C 扩展坞",
                        "USB-C-хаб 7 в 1"),
                desc=_t("Adds 4K 60 Hz HDMI, two USB-A 3.2 ports, SD and microSD card readers "
                        "and 100 W pass-through charging to any USB-C laptop.",
                        "Añade HDMI 4K a 60 Hz, dos puertos USB-A 3.2, lectores de tarjetas SD "
                        "y microSD y carga pass-through de 100 W a cualquier portátil USB-C.",
                        "为 USB-C 笔记本扩展 HDMI 4K 60Hz、两个 USB-A 3.2 接口、SD/microSD "
                        "读卡器，并支持 100W 充电直通。",
                        "Добавляет к любому ноутбуку с USB-C выход HDMI 4K 60 Гц, два порта "
                        "USB-A 3.2, картридеры SD и microSD и сквозную зарядку 100 Вт.")),
        _device("ELC-MEM-SD", "electronics/accessories/memory-cards", "", "VoltEdge", "U3 A2",
                1499, _cross(_axis("capacity", ("128G", "128 GB", 0), ("256G", "256 GB", 1000),
                                   ("512G", "512 GB", 3000))),
                kind=_t("microSDXC memory card", "Tarjeta de memoria microSDXC",
                        "microSDXC 存储卡", "Карта памяти microSDXC"),
                desc=_t("Reads at up to 180 MB/s and writes at 130 MB/s; rated U3, V30 and A2 "
                        "for 4K video and apps. SD adapter included.",
                        "Lectura de hasta 180 MB/s y escritura de 130 MB/s; clasificación U3, "
                        "V30 y A2 para vídeo 4K y aplicaciones. Incluye adaptador SD.",
                        "读取速度最高 180MB/s，写入 130MB/s，U3 / V30 / A2 等级，胜任 4K 视频"
                        "录制与应用运行。附赠 SD 卡套。",
                        "Чтение до 180 МБ/с, запись до 130 МБ/с; классы U3, V30 и A2 для видео "
                        "4K и приложений. Адаптер SD в комплекте."),
                origin=_origin(country="TW", warranty_months=60)),
    ]
    jp_brand = _origin(country="CN", brand_country="JP", warranty_months=24)
    cameras = [
        _device("ELC-CAM-ACT4", "electronics/cameras", "", "Shutterly", "Action 4", 24900,
                kind=_t("4K action camera", "Cámara deportiva 4K", "4K 运动相机",
                        "Экшн-камера 4K"),
                desc=_t("Records 4K at 120 fps with horizon-levelling stabilisation, waterproof "
                        "to 18 m without a housing, with front and rear touch screens.",
                        "Graba en 4K a 120 fps con estabilización que nivela el horizonte, "
                        "sumergible hasta 18 m sin carcasa y con pantallas táctiles delantera "
                        "y trasera.",
                        "4K 120 帧录制，地平线水平增稳，裸机防水 18 米，前后双触摸屏。",
                        "Съёмка 4K со скоростью 120 кадров/с, стабилизация с выравниванием "
                        "горизонта, водонепроницаемость до 18 м без бокса, сенсорные экраны "
                        "спереди и сзади."),
                origin=jp_brand),
        _device("ELC-CAM-SNAP", "electronics/cameras", "", "Shutterly", "Snap", 7999,
                _cross(_colours("white", "pink", "blue")),
                kind=_t("instant camera", "Cámara instantánea", "拍立得相机",
                        "Камера моментальной печати"),
                desc=_t("Prints credit-card-sized photos in about 90 seconds; automatic "
                        "exposure, a selfie mirror and a close-up mode.",
                        "Imprime fotos del tamaño de una tarjeta de crédito en unos 90 segundos; "
                        "exposición automática, espejo para selfis y modo de primer plano.",
                        "约 90 秒即可打印出信用卡大小的照片；自动曝光，配自拍镜与近拍模式。",
                        "Печатает снимки размером с банковскую карту примерно за 90 секунд; "
                        "автоматическая экспозиция, зеркало для селфи и режим макросъёмки."),
                origin=jp_brand),
        _device("ELC-CAM-Z50", "electronics/cameras", "", "Shutterly", "Z50", 89900,
                kind=_t("mirrorless camera", "Cámara sin espejo", "无反相机", "Беззеркальная камера"),
                names=_t("Shutterly Z50 mirrorless camera with 18–55 mm lens",
                         "Cámara sin espejo Shutterly Z50 con objetivo 18–55 mm",
                         "Shutterly Z50 无反相机（含 18–55mm 镜头）",
                         "Беззеркальная камера Shutterly Z50 с объективом 18–55 мм"),
                desc=_t("24-megapixel APS-C sensor, fast hybrid autofocus with eye detection, "
                        "4K video and a flip screen.",
                        "Sensor APS-C de 24 megapíxeles, autoenfoque híbrido rápido con "
                        "detección de ojos, vídeo 4K y pantalla abatible.",
                        "2400 万像素 APS-C 画幅传感器，快速混合对焦，支持眼部识别，4K 视频，"
                        "翻转屏。",
                        "Матрица APS-C 24 Мп, быстрый гибридный автофокус с распознаванием "
                        "глаз, видео 4K и поворотный экран."),
                origin=_origin(country="TH", brand_country="JP", warranty_months=24)),
        _device("ELC-CAM-D2", "electronics/cameras", "", "Shutterly", "D2", 4999,
                kind=_t("2K dash cam", "Cámara para coche 2K", "2K 行车记录仪",
                        "Видеорегистратор 2K"),
                desc=_t("Records 2K video with night vision through a 140° wide lens, saves "
                        "clips automatically after a collision and has a time-lapse parking "
                        "mode.",
                        "Graba vídeo 2K con visión nocturna y lente gran angular de 140°, guarda "
                        "los clips automáticamente tras un golpe y tiene modo aparcamiento con "
                        "timelapse.",
                        "2K 高清录像，夜视增强，140° 广角镜头，碰撞自动锁存视频，支持缩时停车"
                        "监控。",
                        "Запись видео 2K с ночным режимом через широкоугольный объектив 140°, "
                        "автоматическое сохранение роликов при ударе и парковочный режим с "
                        "интервальной съёмкой."),
                origin=jp_brand),
        _device("ELC-CAM-C200", "electronics/cameras", "", "Shutterly", "C200", 2999,
                kind=_t("indoor security camera", "Cámara de seguridad para interior",
                        "室内智能摄像机", "Домашняя камера видеонаблюдения"),
                desc=_t("Pan-and-tilt 2K camera with person detection, two-way talk and night "
                        "vision; records to a microSD card, no subscription needed.",
                        "Cámara 2K motorizada con detección de personas, audio bidireccional y "
                        "visión nocturna; graba en tarjeta microSD, sin suscripción.",
                        "2K 云台摄像机，支持人形侦测、双向语音与夜视；可存储至 microSD 卡，"
                        "无需订阅。",
                        "Поворотная 2K-камера с распознаванием людей, двусторонней связью и "
                        "ночным видением; запись на карту microSD без подписки."),
                origin=jp_brand),
    ]
    return (phones + cases + glass + audio + charging + cables + power_banks + wearables
            + home + scooters + tvs + laptops + tablets + peripherals + cameras)


# ---- groceries: written out per product ----------------------------------------------------


def _food(code: str, category: str, brand: str, eur: int, names: dict[str, str],
          descriptions: dict[str, str], origin: dict[str, str], *, weight: bool = False,
          variants: list[_Option] | tuple[_Option, ...] = (),
          adjust: dict[str, float] | None = None, extra_gtin: str = "") -> _Def:
    return _Def(code, category, brand, names, descriptions, origin, eur, "grocery",
                "weight" if weight else "unit", tuple(variants), adjust, extra_gtin)


def _fresh_fish() -> list[_Def]:
    cat = "grocery/fresh-fish"
    return [
        _food("GRC-SALMON", cat, "Nordhav", 2490,
              _t("Atlantic salmon", "Salmón atlántico", "挪威大西洋三文鱼", "Атлантический лосось"),
              _t("Norwegian salmon farmed in the cold fjords of Lofoten and flown in within 48 "
                 "hours of harvest. Rich and buttery; good raw as sashimi, grilled or baked.",
                 "Salmón noruego criado en los fríos fiordos de Lofoten y traído en avión en "
                 "menos de 48 horas desde la cosecha. Graso y mantecoso; ideal en sashimi, a la "
                 "plancha o al horno.",
                 "产自挪威罗弗敦群岛冰冷峡湾的养殖三文鱼，出水后 48 小时内空运到店。油脂丰富、"
                 "口感细腻，适合刺身、香煎或烤制。",
                 "Норвежский лосось, выращенный в холодных фьордах Лофотенских островов, "
                 "доставляется самолётом в течение 48 часов после вылова. Нежный и жирный: хорош "
                 "сырым в сашими, на гриле и запечённым."),
              _origin(country="NO", region="Lofoten, Nordland", farm="Lofoten Havbruk AS",
                      production_method="farmed", catch_method="sea net pen",
                      species="Salmo salar", fao_area="27 (North-East Atlantic)",
                      shelf_life_days=4, storage_temp_c="0-2"),
              weight=True,
              variants=_axis("cut", ("FIL", "fillet", 0), ("STK", "steak", -200),
                             ("WHL", "whole", -1000))),
        _food("GRC-COD", cat, "Nordhav", 2290,
              _t("Atlantic cod loin", "Lomo de bacalao fresco", "大西洋鳕鱼背柳",
                 "Филе трески (спинка)"),
              _t("The thick centre cut of wild cod, line-caught by small boats off northern "
                 "Norway. Firm white flakes; bake, poach or pan-fry.",
                 "La parte central y más gruesa del bacalao salvaje, pescado con palangre por "
                 "barcos pequeños en el norte de Noruega. Lascas blancas y firmes; al horno, "
                 "escalfado o a la sartén.",
                 "野生鳕鱼最厚实的中段，由挪威北部小型渔船延绳钓捕获。肉质洁白紧实，适合烤、"
                 "水煮或香煎。",
                 "Самая толстая центральная часть дикой трески, выловленной ярусом с небольших "
                 "судов у берегов Северной Норвегии. Плотное белое мясо; запекайте, припускайте "
                 "или жарьте."),
              _origin(country="NO", region="Finnmark", fishery="Barents Sea coastal fleet",
                      production_method="wild-caught", catch_method="longline",
                      species="Gadus morhua", fao_area="27.I (Barents Sea)",
                      certification="MSC", shelf_life_days=3, storage_temp_c="0-2"),
              weight=True),
        _food("GRC-SEABASS", cat, "Plaza", 1290,
              _t("European sea bass", "Lubina", "欧洲海鲈鱼", "Сибас"),
              _t("Raised in the open sea off the Greek coast; sweet, delicate white flesh. We "
                 "clean and scale whole fish on request.",
                 "Criada en mar abierto frente a la costa griega; carne blanca, delicada y dulce. "
                 "Limpiamos y desescamamos el pescado entero a petición.",
                 "希腊近海深水网箱养殖，肉质洁白细嫩、鲜甜。整鱼可免费代为去鳞去内脏。",
                 "Выращен в открытом море у берегов Греции; нежное сладковатое белое мясо. "
                 "Целую рыбу по просьбе почистим и выпотрошим."),
              _origin(country="GR", region="Gulf of Corinth", farm="Korinthos Marine Farms",
                      production_method="farmed", catch_method="sea cage",
                      species="Dicentrarchus labrax", fao_area="37.2.2 (Ionian Sea)",
                      shelf_life_days=4, storage_temp_c="0-2"),
              weight=True,
              variants=_axis("cut", ("WHL", "whole", 0), ("FIL", "fillet", 900))),
        _food("GRC-BREAM", cat, "Plaza", 1190,
              _t("Gilt-head sea bream", "Dorada", "金头鲷", "Дорадо"),
              _t("Mediterranean bream raised in the bay of Murcia. Roast it whole in salt, or "
                 "grill it with lemon and olive oil.",
                 "Dorada mediterránea criada en la costa de Murcia. Perfecta entera a la sal o a "
                 "la brasa con limón y aceite de oliva.",
                 "产自西班牙穆尔西亚海湾的地中海金头鲷。适合整条盐焗，或淋上柠檬汁和橄榄油"
                 "炭烤。",
                 "Средиземноморская дорадо, выращенная в заливе Мурсии. Запекайте целиком в "
                 "соли или жарьте на гриле с лимоном и оливковым маслом."),
              _origin(country="ES", region="Murcia", farm="Acuicultura Mar Menor",
                      production_method="farmed", catch_method="sea cage",
                      species="Sparus aurata", fao_area="37.1.1 (Balearic Sea)",
                      shelf_life_days=4, storage_temp_c="0-2"),
              weight=True),
        _food("GRC-HAKE", cat, "Lonja Gallega", 1490,
              _t("Line-caught European hake", "Merluza de pincho", "钓捕欧洲无须鳕",
                 "Европейский хек ярусного лова"),
              _t("Hake caught on hooks and auctioned daily at the Burela fish market in "
                 "Galicia. Tender flakes with a mild taste; classic in green sauce or simply "
                 "fried.",
                 "Merluza pescada con anzuelo y subastada cada día en la lonja de Burela (Lugo). "
                 "Carne tierna y de sabor suave: en salsa verde o simplemente rebozada.",
                 "在西班牙加利西亚布雷拉渔港每日上岸拍卖的钓捕无须鳕。肉质细嫩、味道清淡，"
                 "适合做青酱鳕鱼或香煎。",
                 "Хек, пойманный на крючок и ежедневно продаваемый с аукциона на рыбном рынке "
                 "Бурелы в Галисии. Нежное мясо с мягким вкусом; классика — в зелёном соусе или "
                 "просто обжаренный."),
              _origin(country="ES", region="Galicia", fishery="Lonja de Burela",
                      production_method="wild-caught", catch_method="hook and line",
                      species="Merluccius merluccius", fao_area="27.VIII (Bay of Biscay)",
                      shelf_life_days=3, storage_temp_c="0-2"),
              weight=True,
              variants=_axis("cut", ("WHL", "whole", 0), ("SLC", "slices", 300))),
        _food("GRC-CROAKER", cat, "Ningde Haiyang", 990,
              _t("Large yellow croaker", "Corvina amarilla", "宁德大黄鱼",
                 "Большой жёлтый горбыль"),
              _t("Raised in deep-water cages in Sandu Bay, Fujian, China's home of yellow "
                 "croaker. Tender, slightly sweet flesh: steam it with ginger and spring onion "
                 "or braise it.",
                 "Criada en jaulas de aguas profundas en la bahía de Sandu (Fujian), cuna de la "
                 "corvina amarilla en China. Carne tierna y algo dulce; al vapor con jengibre y "
                 "cebolleta, o guisada.",
                 "产自中国大黄鱼之乡福建宁德三都澳深水网箱，肉质细嫩鲜甜，清蒸（配姜丝葱段）"
                 "或红烧皆宜。",
                 "Выращен в глубоководных садках в заливе Саньду (провинция Фуцзянь) — на "
                 "родине жёлтого горбыля. Нежное сладковатое мясо; лучше всего на пару с "
                 "имбирём и зелёным луком или тушёный."),
              _origin(country="CN", region="Ningde, Fujian", farm="Sandu Bay deep-water farm",
                      production_method="farmed", catch_method="deep-water sea cage",
                      species="Larimichthys crocea", fao_area="61 (North-West Pacific)",
                      shelf_life_days=3, storage_temp_c="0-2"),
              weight=True),
        _food("GRC-MANDARINFISH", cat, "Plaza", 1690,
              _t("Live mandarin fish", "Perca mandarín viva", "鲜活鳜鱼", "Живой окунь ауха"),
              _t("Kept alive in our tanks and prepared to order. A prized freshwater fish with "
                 "firm flesh and few bones, the star of sweet-and-sour squirrel fish.",
                 "Se mantiene viva en nuestros tanques y se prepara al momento. Pescado de agua "
                 "dulce muy apreciado, de carne firme y con pocas espinas; la estrella del «pez "
                 "ardilla» agridulce.",
                 "门店水箱鲜活暂养，现杀现做。名贵淡水鱼，肉质紧实少刺，是做松鼠鳜鱼的不二"
                 "之选。",
                 "Живая рыба из наших аквариумов, разделываем при вас. Ценная пресноводная рыба "
                 "с плотным мясом и малым количеством костей — главный ингредиент «рыбы-белки» в "
                 "кисло-сладком соусе."),
              _origin(country="CN", region="Liangzi Lake, Hubei",
                      farm="Liangzi Lake aquaculture cooperative", production_method="farmed",
                      catch_method="pond", species="Siniperca chuatsi", kept="live in store tank",
                      shelf_life_days=1, storage_temp_c="18-22"),
              weight=True),
        _food("GRC-TUNA", cat, "Plaza", 3490,
              _t("Yellowfin tuna steak", "Atún rabil en rodajas", "黄鳍金枪鱼排",
                 "Стейк желтоперого тунца"),
              _t("Caught one fish at a time with pole and line in the Maldives, with no "
                 "bycatch. Sear it briefly and serve it pink in the middle.",
                 "Pescado con caña, uno a uno, en Maldivas y sin capturas accesorias. Márcalo a "
                 "la plancha y sírvelo rosado por dentro.",
                 "马尔代夫传统一竿一钓，逐条捕获，无误捕。大火快煎，内里保持粉嫩口感最佳。",
                 "Выловлен удочкой поштучно у Мальдив, без прилова. Быстро обжарьте, оставив "
                 "середину розовой."),
              _origin(country="MV", region="Maldives", fishery="Maldives pole-and-line fishery",
                      production_method="wild-caught", catch_method="pole and line",
                      species="Thunnus albacares", fao_area="51 (Western Indian Ocean)",
                      certification="MSC", shelf_life_days=3, storage_temp_c="0-2"),
              weight=True),
        _food("GRC-TROUT", cat, "Kareliya Ryba", 1590,
              _t("Rainbow trout", "Trucha arcoíris", "虹鳟鱼", "Радужная форель"),
              _t("Grown in the clean, cold lakes of Karelia in north-west Russia. Bright pink, "
                 "mild-flavoured flesh; lightly salt it or bake it whole.",
                 "Criada en los lagos limpios y fríos de Carelia, en el noroeste de Rusia. Carne "
                 "de color rosa intenso y sabor suave; ligeramente salada o entera al horno.",
                 "产自俄罗斯西北部卡累利阿洁净冰冷的湖泊，肉色粉红、味道温和，适合轻腌或整条"
                 "烤制。",
                 "Выращена в чистых холодных озёрах Карелии. Ярко-розовое мясо с мягким вкусом; "
                 "хороша слабосолёной или запечённой целиком."),
              _origin(country="RU", region="Republic of Karelia", farm="Onego Fish Farm",
                      production_method="farmed", catch_method="lake net pen",
                      species="Oncorhynchus mykiss", shelf_life_days=5, storage_temp_c="0-2"),
              weight=True),
        _food("GRC-MACKEREL", cat, "Nordhav", 790,
              _t("Atlantic mackerel", "Caballa del Atlántico", "大西洋鲭鱼",
                 "Атлантическая скумбрия"),
              _t("Autumn mackerel caught with purse seines in the Norwegian Sea, when it is at "
                 "its fattest. Grill it, bake it or cure it.",
                 "Caballa de otoño capturada con cerco en el mar de Noruega, cuando está más "
                 "grasa. A la parrilla, al horno o en salazón.",
                 "秋季挪威海围网捕捞，正值最肥美的时节。适合烧烤、烘烤或腌制。",
                 "Осенняя скумбрия, выловленная кошельковым неводом в Норвежском море, когда она "
                 "самая жирная. Жарьте на гриле, запекайте или солите."),
              _origin(country="NO", region="Norwegian Sea", fishery="Norwegian pelagic fleet",
                      production_method="wild-caught", catch_method="purse seine",
                      species="Scomber scombrus", fao_area="27.IIa (Norwegian Sea)",
                      shelf_life_days=3, storage_temp_c="0-2"),
              weight=True),
    ]


def _seafood() -> list[_Def]:
    cat = "grocery/seafood"
    return [
        _food("GRC-KINGCRAB", cat, "Barents Catch", 7990,
              _t("Red king crab legs", "Patas de cangrejo real", "帝王蟹腿",
                 "Фаланги камчатского краба"),
              _t("Caught with pots in the Barents Sea, then cooked and frozen on board within "
                 "hours. Thaw slowly in the fridge and serve cold or warmed in butter.",
                 "Capturado con nasas en el mar de Barents, cocido y congelado a bordo en pocas "
                 "horas. Descongélalo despacio en la nevera y sírvelo frío o templado con "
                 "mantequilla.",
                 "巴伦支海笼捕，捕获后数小时内在船上煮熟并速冻。冷藏室缓慢解冻，冷食或用黄油"
                 "加热均可。",
                 "Выловлен ловушками в Баренцевом море, сварен и заморожен прямо на борту за "
                 "несколько часов. Размораживайте медленно в холодильнике; подавайте холодным "
                 "или прогрейте в сливочном масле."),
              _origin(country="RU", region="Murmansk", fishery="Barents Sea crab fleet",
                      production_method="wild-caught", catch_method="pots",
                      species="Paralithodes camtschaticus", fao_area="27.I (Barents Sea)",
                      shelf_life_days=365, storage_temp_c="-18"),
              weight=True),
        _food("GRC-PRAWN", cat, "Costa Azul", 1490,
              _t("Raw whiteleg prawns", "Langostino vannamei crudo", "南美白对虾",
                 "Креветки ваннамей сырые"),
              _t("Pond-raised in Ecuador and frozen straight after harvest; sold thawed at our "
                 "counter. Sweet and juicy, for the wok, the grill or garlic prawns.",
                 "Criado en estanques de Ecuador y congelado justo después de la cosecha; se "
                 "vende descongelado en nuestro mostrador. Dulce y jugoso: para el wok, la "
                 "plancha o al ajillo.",
                 "厄瓜多尔池塘养殖，捕捞后即刻冷冻，在柜台解冻销售。肉质鲜甜多汁，适合爆炒、"
                 "炭烤或蒜蓉做法。",
                 "Выращены в прудах Эквадора и заморожены сразу после сбора; продаются "
                 "размороженными с нашего прилавка. Сладкие и сочные — для вока, гриля или с "
                 "чесноком."),
              _origin(country="EC", region="Guayas", farm="Camaronera Golfo de Guayaquil",
                      production_method="farmed", catch_method="pond",
                      species="Penaeus vannamei", fao_area="87 (South-East Pacific)",
                      shelf_life_days=2, storage_temp_c="0-2"),
              weight=True),
        _food("GRC-MUSSEL", cat, "Lonja Gallega", 490,
              _t("Galician mussels", "Mejillón de Galicia", "西班牙加利西亚青口贝",
                 "Галисийские мидии"),
              _t("Rope-grown from wooden rafts in the Ría de Arousa, with the Mejillón de "
                 "Galicia PDO. Sold live and cleaned; steam them with white wine for three "
                 "minutes.",
                 "Criado en cuerdas colgadas de bateas de madera en la ría de Arousa, con DOP "
                 "Mejillón de Galicia. Se vende vivo y limpio; al vapor con vino blanco en tres "
                 "minutos.",
                 "在阿罗萨河口的木筏上吊绳养殖，获“加利西亚贻贝”原产地保护认证。鲜活、已清洗，"
                 "加白葡萄酒蒸三分钟即可。",
                 "Выращены на верёвках под деревянными плотами в заливе Ароза, защищённое "
                 "наименование «Мидии Галисии». Продаются живыми и очищенными; готовьте на пару "
                 "с белым вином три минуты."),
              _origin(country="ES", region="Ría de Arousa, Galicia", farm="Bateas de Arousa",
                      production_method="farmed", catch_method="raft rope culture",
                      species="Mytilus galloprovincialis", fao_area="27.IX",
                      certification="PDO Mejillón de Galicia", shelf_life_days=3,
                      storage_temp_c="2-6"),
              weight=True),
        _food("GRC-LOBSTER", cat, "Atlantic Shore", 3990,
              _t("Live Boston lobster", "Bogavante canadiense vivo", "鲜活波士顿龙虾",
                 "Живой американский омар"),
              _t("Trap-caught in the cold waters off Nova Scotia and flown in live. Pick yours "
                 "from the tank: we can steam it for you, or you can take it home.",
                 "Capturado con nasas en las frías aguas de Nueva Escocia y traído vivo en "
                 "avión. Elige el tuyo en el vivero: te lo cocemos al vapor o te lo llevas a "
                 "casa.",
                 "加拿大新斯科舍冰冷海域笼捕，鲜活空运到店。在水箱中挑选，可现场代蒸，也可带回家"
                 "烹饪。",
                 "Выловлен ловушками в холодных водах Новой Шотландии и доставлен живым "
                 "самолётом. Выберите омара в аквариуме — мы приготовим его на пару или упакуем "
                 "с собой."),
              _origin(country="CA", region="Nova Scotia",
                      fishery="Nova Scotia inshore lobster fishery",
                      production_method="wild-caught", catch_method="traps",
                      species="Homarus americanus", fao_area="21 (North-West Atlantic)",
                      kept="live in store tank", shelf_life_days=2, storage_temp_c="4-8"),
              weight=True),
        _food("GRC-OCTOPUS", cat, "Lonja Gallega", 1990,
              _t("Octopus", "Pulpo", "真蛸（章鱼）", "Осьминог"),
              _t("Common octopus caught with traditional pots off the Galician coast. Boil it "
                 "and serve it Galician style, with paprika, sea salt and olive oil.",
                 "Pulpo de roca capturado con nasas tradicionales en la costa gallega. Cuécelo y "
                 "sírvelo á feira, con pimentón, sal gorda y aceite de oliva.",
                 "西班牙加利西亚沿海以传统笼具捕获的真蛸。煮熟后撒上红椒粉、海盐，淋橄榄油，"
                 "即成加利西亚名菜。",
                 "Обыкновенный осьминог, пойманный традиционными ловушками у побережья Галисии. "
                 "Отварите его и подайте по-галисийски — с паприкой, крупной солью и оливковым "
                 "маслом."),
              _origin(country="ES", region="Galicia", fishery="Galician artisanal fleet",
                      production_method="wild-caught", catch_method="pots",
                      species="Octopus vulgaris", fao_area="27.IX", shelf_life_days=3,
                      storage_temp_c="0-2"),
              weight=True),
        _food("GRC-HAIRYCRAB", cat, "Yangcheng Lake", 990,
              _t("Live Yangcheng Lake hairy crab", "Cangrejo peludo vivo del lago Yangcheng",
                 "阳澄湖大闸蟹（鲜活）", "Живой мохнаторукий краб с озера Янчэн"),
              _t("Shanghai's autumn delicacy, raised in pens in Yangcheng Lake; every crab wears "
                 "an anti-counterfeit ring. Steam for 15 minutes and dip in ginger vinegar.",
                 "El manjar otoñal de Shanghái, criado en corrales del lago Yangcheng; cada "
                 "cangrejo lleva una anilla antifalsificación. Cuécelo al vapor 15 minutos y "
                 "mójalo en vinagre con jengibre.",
                 "上海人的秋季美味，阳澄湖围网养殖，每只配防伪蟹扣。清蒸 15 分钟，蘸姜醋食用。",
                 "Осенний деликатес Шанхая: выращен в загонах на озере Янчэн, у каждого краба — "
                 "кольцо от подделок. Варите на пару 15 минут и подавайте с имбирным уксусом."),
              _origin(country="CN", region="Kunshan, Jiangsu", farm="Yangcheng Lake pen farms",
                      production_method="farmed", catch_method="lake pens",
                      species="Eriocheir sinensis", season="September to December",
                      kept="live", shelf_life_days=2, storage_temp_c="5-10"),
              variants=[("M250", {"sex": "male", "weight": "250 g"}, 0),
                        ("F200", {"sex": "female", "weight": "200 g"}, -100)]),
        _food("GRC-OYSTER", cat, "Claires de la Seudre", 1190,
              _t("Marennes-Oléron oysters, 6", "Ostras de Marennes-Oléron, 6 unidades",
                 "法国马雷讷-奥莱龙生蚝（6 只装）", "Устрицы Марен-Олерон, 6 шт."),
              _t("Size 3 cupped oysters finished in the clay ponds (claires) of Marennes-Oléron, "
                 "which give them a sweet, nutty taste. Live: open them just before serving.",
                 "Ostras cóncavas del calibre 3 afinadas en los estanques arcillosos (claires) de "
                 "Marennes-Oléron, que les dan un sabor dulce y a avellana. Vivas: ábrelas justo "
                 "antes de servir.",
                 "法国马雷讷-奥莱龙 3 号生蚝，在黏土养殖池（claires）中育肥，口感清甜并带坚果香。"
                 "鲜活，食用前再开壳。",
                 "Устрицы № 3, доращённые в глиняных бассейнах (клер) Марен-Олерона, — отсюда "
                 "сладковатый ореховый вкус. Живые; открывайте прямо перед подачей."),
              _origin(country="FR", region="Marennes-Oléron", farm="Claires de la Seudre",
                      production_method="farmed", catch_method="bags on trestles, finished "
                      "in claires", species="Magallana gigas", fao_area="27.VIII",
                      shelf_life_days=7, storage_temp_c="5-10")),
    ]


def _meat() -> list[_Def]:
    cat = "grocery/meat"
    return [
        _food("GRC-RIBEYE", cat, "Fazenda Boa Vista", 3290,
              _t("Grass-fed beef ribeye", "Entrecot de vacuno de pasto", "巴西草饲牛肉眼",
                 "Рибай из говядины травяного откорма"),
              _t("Nelore cattle raised on open pasture in Mato Grosso, aged for 21 days. "
                 "Marbled and full of flavour; cut it thick and grill it hot.",
                 "Ganado nelore criado en pastos abiertos de Mato Grosso y madurado 21 días. "
                 "Veteado y sabroso; córtalo grueso y ásalo a fuego fuerte.",
                 "巴西马托格罗索州天然牧场散养的内洛尔牛，经 21 天熟成。大理石花纹均匀、风味"
                 "浓郁，厚切大火煎烤最佳。",
                 "Скот породы нелоре с открытых пастбищ штата Мату-Гросу, выдержка 21 день. "
                 "Мраморная ароматная говядина; режьте толсто и жарьте на сильном огне."),
              _origin(country="BR", region="Mato Grosso", farm="Fazenda Boa Vista",
                      production_method="grass-fed, pasture-raised", breed="Nelore",
                      ageing_days=21, shelf_life_days=6, storage_temp_c="0-4"),
              weight=True),
        _food("GRC-MINCE", cat, "Plaza", 990,
              _t("Beef mince, 15% fat", "Carne picada de vacuno, 15 % de grasa",
                 "鲜牛肉馅（15% 脂肪）", "Фарш говяжий, жирность 15 %"),
              _t("Minced in store every morning from Spanish beef forequarter. Ideal for "
                 "burgers, meatballs and Bolognese.",
                 "Picada cada mañana en tienda a partir de cuarto delantero de vacuno español. "
                 "Ideal para hamburguesas, albóndigas y boloñesa.",
                 "每天早晨在门店用西班牙牛前腿肉现绞，适合做汉堡肉饼、肉丸和意式肉酱。",
                 "Каждое утро прокручиваем в магазине из передней части испанской говядины. Для "
                 "бургеров, фрикаделек и соуса болоньезе."),
              _origin(country="ES", region="Castilla y León",
                      farm="Cooperativa Ganadera de Salamanca",
                      production_method="pasture-raised, grain-finished", shelf_life_days=2,
                      storage_temp_c="0-4"),
              weight=True),
        _food("GRC-PORKBELLY", cat, "Granjas del Ebro", 890,
              _t("Pork belly, skin on", "Panceta de cerdo con piel", "带皮五花肉",
                 "Свиная грудинка на шкуре"),
              _t("Layered belly from pigs raised in Aragón, with the skin left on for "
                 "crackling. Slow-roast it, red-braise it or slice it for hot pot.",
                 "Panceta con capas de carne y grasa de cerdos criados en Aragón, con la piel "
                 "para que quede crujiente. Asada lentamente, estofada o en lonchas para hot pot.",
                 "来自西班牙阿拉贡的猪五花，肥瘦相间、保留猪皮，适合慢烤脆皮、做红烧肉或切片"
                 "涮火锅。",
                 "Слоистая грудинка от свиней, выращенных в Арагоне, со шкуркой для хрустящей "
                 "корочки. Запекайте медленно, тушите по-китайски или нарежьте для хот-пота."),
              _origin(country="ES", region="Aragón", farm="Granjas del Ebro",
                      production_method="barn-raised", shelf_life_days=5,
                      storage_temp_c="0-4"),
              weight=True),
        _food("GRC-PRESA", cat, "Dehesa Extremeña", 2490,
              _t("Iberian pork presa", "Presa ibérica de bellota", "西班牙伊比利亚橡果猪梅肉",
                 "Преса иберийской свиньи"),
              _t("The prized shoulder cut of Iberian pigs that roam the dehesa oak pastures and "
                 "fatten on acorns. Grill it and serve it pink.",
                 "La pieza más apreciada de la paleta del cerdo ibérico criado en libertad en la "
                 "dehesa y engordado con bellota. A la brasa y rosada por dentro.",
                 "伊比利亚黑猪在西班牙橡树牧场自由放养、以橡果育肥，这是其肩部最珍贵的部位。"
                 "适合炭烤，五分熟口感最佳。",
                 "Ценнейшая часть лопатки иберийской свиньи, которая свободно пасётся в "
                 "дубовых рощах дехесы и откармливается желудями. Жарьте на гриле и подавайте с "
                 "розовой серединой."),
              _origin(country="ES", region="Extremadura", farm="Dehesa Los Robles",
                      production_method="free-range, acorn-fed (bellota)",
                      breed="100% Iberian", shelf_life_days=6, storage_temp_c="0-4"),
              weight=True),
        _food("GRC-CHKBREAST", cat, "Plaza", 890,
              _t("Chicken breast fillets", "Filetes de pechuga de pollo", "鲜鸡胸肉",
                 "Филе куриной грудки"),
              _t("Skinless fillets from barn-raised chickens in Catalonia, chilled and never "
                 "frozen. Lean and quick to cook.",
                 "Filetes sin piel de pollos criados en granja en Cataluña, refrigerados y nunca "
                 "congelados. Magros y rápidos de cocinar.",
                 "来自西班牙加泰罗尼亚的去皮鸡胸肉，全程冷鲜、从未冷冻。低脂高蛋白，烹饪快捷。",
                 "Филе без кожи от кур из Каталонии; охлаждённое, никогда не замораживалось. "
                 "Нежирное и быстро готовится."),
              _origin(country="ES", region="Catalonia", farm="Avícola del Penedès",
                      production_method="barn-raised", shelf_life_days=5,
                      storage_temp_c="0-4"),
              weight=True),
        _food("GRC-CHKWING", cat, "Aurora Aves", 590,
              _t("Chicken wings", "Alitas de pollo", "鸡翅", "Куриные крылья"),
              _t("Whole wings from Paraná, Brazil: the classic for oven-baked, fried or "
                 "cola-glazed wings.",
                 "Alitas enteras de Paraná (Brasil): las clásicas para hacer al horno, fritas o "
                 "glaseadas.",
                 "来自巴西巴拉那州的整只鸡翅，烤、炸或做可乐鸡翅都很合适。",
                 "Цельные крылья из штата Парана (Бразилия) — для запекания, жарки во фритюре "
                 "или в глазури."),
              _origin(country="BR", region="Paraná", farm="Granja Santa Clara",
                      production_method="barn-raised", shelf_life_days=5,
                      storage_temp_c="0-4"),
              weight=True),
        _food("GRC-LAMBLEG", cat, "Southern Pasture", 1690,
              _t("Lamb leg, bone in", "Pierna de cordero con hueso", "新西兰带骨羊腿",
                 "Баранья нога на кости"),
              _t("Grass-fed lamb from Canterbury, New Zealand, shipped chilled. Roast it with "
                 "garlic and rosemary, or cut it up for cumin lamb skewers.",
                 "Cordero alimentado con pasto de Canterbury (Nueva Zelanda), transportado "
                 "refrigerado. Asado con ajo y romero, o en dados para brochetas con comino.",
                 "新西兰坎特伯雷草饲羔羊，全程冷鲜海运。可配大蒜迷迭香烤制，也可切块做孜然"
                 "羊肉串。",
                 "Ягнёнок травяного откорма из Кентербери (Новая Зеландия), доставлен "
                 "охлаждённым. Запеките с чесноком и розмарином или нарежьте на шашлык с зирой."),
              _origin(country="NZ", region="Canterbury", farm="Rakaia Valley Farms",
                      production_method="grass-fed, pasture-raised", packaging="vacuum-packed",
                      shelf_life_days=21, storage_temp_c="0-2"),
              weight=True),
    ]


def _fruit_and_vegetables() -> list[_Def]:
    fruit, veg = "grocery/fruit", "grocery/vegetables"
    return [
        _food("GRC-BANANA", fruit, "Plaza", 169,
              _t("Bananas", "Bananas", "香蕉", "Бананы"),
              _t("Cavendish bananas from Ecuador, ripened in our own rooms until they turn "
                 "yellow. Sweet and creamy.",
                 "Bananas Cavendish de Ecuador, maduradas en nuestras propias cámaras hasta que "
                 "amarillean. Dulces y cremosas.",
                 "厄瓜多尔卡文迪什香蕉，在我们自己的催熟库中自然转黄。香甜绵软。",
                 "Бананы сорта кавендиш из Эквадора, дозревают в наших камерах до жёлтого "
                 "цвета. Сладкие и нежные."),
              _origin(country="EC", region="El Oro", farm="Hacienda La Esperanza",
                      variety="Cavendish", harvest_method="hand-cut", shelf_life_days=5,
                      storage_temp_c="13-15"),
              weight=True),
        _food("GRC-APPLE-FUJI", fruit, "Plaza", 299,
              _t("Aksu Fuji apples", "Manzanas Fuji de Aksu", "阿克苏冰糖心苹果",
                 "Яблоки фудзи из Аксу"),
              _t("Grown in the desert oases of Aksu, Xinjiang, where warm days and cold nights "
                 "give them a honeyed 'sugar heart' core. Crisp and very sweet.",
                 "Cultivadas en los oasis desérticos de Aksu (Xinjiang), donde los días cálidos "
                 "y las noches frías forman en el centro un «corazón de azúcar» con sabor a "
                 "miel. Crujientes y muy dulces.",
                 "产自新疆阿克苏沙漠绿洲，昼夜温差大，果核处形成透明的“冰糖心”。口感脆甜多汁。",
                 "Выращены в пустынных оазисах Аксу (Синьцзян): тёплые дни и холодные ночи "
                 "создают внутри медовую «сахарную сердцевину». Хрустящие и очень сладкие."),
              _origin(country="CN", region="Aksu, Xinjiang", farm="Hongqipo orchards",
                      variety="Fuji", harvest_method="hand-picked", shelf_life_days=30,
                      storage_temp_c="0-4"),
              weight=True),
        _food("GRC-ORANGE", fruit, "Plaza", 199,
              _t("Valencia navel oranges", "Naranjas navel de Valencia", "西班牙瓦伦西亚脐橙",
                 "Апельсины навел из Валенсии"),
              _t("Seedless navel oranges picked by hand in the groves of Valencia and on our "
                 "shelves within days. Easy to peel and great for juice.",
                 "Naranjas navel sin pepitas, recogidas a mano en los huertos valencianos y en "
                 "nuestras tiendas en pocos días. Fáciles de pelar y perfectas para zumo.",
                 "西班牙瓦伦西亚果园人工采摘的无籽脐橙，数日内上架。易剥皮，榨汁也很棒。",
                 "Апельсины без косточек, собранные вручную в садах Валенсии, уже через "
                 "несколько дней на полке. Легко чистятся и хороши для сока."),
              _origin(country="ES", region="Valencia", farm="Huerto San Vicente",
                      variety="Navelina", harvest_method="hand-picked", shelf_life_days=21,
                      storage_temp_c="4-8"),
              weight=True),
        _food("GRC-MANGO", fruit, "Plaza", 499,
              _t("Hainan Guifei mangoes", "Mangos Guifei de Hainan", "海南贵妃芒",
                 "Манго гуйфэй с Хайнаня"),
              _t("Red-blushed mangoes from Sanya on tropical Hainan island, picked ripe. "
                 "Fragrant flesh with no fibres.",
                 "Mangos de piel rojiza de Sanya, en la isla tropical de Hainan, recogidos "
                 "maduros. Pulpa aromática y sin fibras.",
                 "产自热带海南岛三亚，树上熟后采摘，果皮红黄相间，果肉香甜细腻无纤维。",
                 "Манго с румяной кожицей из Санья на тропическом острове Хайнань, собраны "
                 "спелыми. Ароматная мякоть без волокон."),
              _origin(country="CN", region="Sanya, Hainan", farm="Yacheng mango orchards",
                      variety="Guifei", harvest_method="hand-picked", shelf_life_days=7,
                      storage_temp_c="13-15"),
              weight=True),
        _food("GRC-GRAPE-SM", fruit, "Plaza", 990,
              _t("Shine Muscat grapes", "Uvas Shine Muscat", "云南阳光玫瑰葡萄",
                 "Виноград шайн мускат"),
              _t("Large seedless green grapes from Yunnan with a rose-muscat aroma and a crisp "
                 "bite; the skin is thin enough to eat.",
                 "Uvas verdes grandes y sin pepitas de Yunnan, con aroma de moscatel y rosa y "
                 "textura crujiente; la piel es tan fina que se come.",
                 "云南种植，果粒硕大无籽，带有玫瑰香与麝香葡萄香气，口感脆爽，皮薄可直接食用。",
                 "Крупный зелёный виноград без косточек из Юньнани с ароматом мускатной розы и "
                 "хрустящей мякотью; кожица тонкая, её можно есть."),
              _origin(country="CN", region="Jianshui, Yunnan", farm="Honghe grape cooperative",
                      variety="Shine Muscat", harvest_method="hand-picked", shelf_life_days=10,
                      storage_temp_c="0-4"),
              weight=True),
        _food("GRC-CHERRY", fruit, "Plaza", 1490,
              _t("Chilean cherries", "Cerezas de Chile", "智利车厘子", "Черешня из Чили"),
              _t("Dark, firm cherries from the Maule valley, flown in during the southern "
                 "summer. Size J, sweet and crunchy.",
                 "Cerezas oscuras y firmes del valle del Maule, traídas en avión durante el "
                 "verano austral. Calibre J, dulces y crujientes.",
                 "智利马乌莱谷出产，南半球夏季空运到店。J 级大果，色深肉脆，清甜多汁。",
                 "Тёмная упругая черешня из долины Мауле, доставленная самолётом южным летом. "
                 "Калибр J, сладкая и хрустящая."),
              _origin(country="CL", region="Maule", farm="Fundo Los Cerezos", variety="Santina",
                      harvest_method="hand-picked", shelf_life_days=14, storage_temp_c="0-2"),
              weight=True),
        _food("GRC-LEMON", fruit, "Plaza", 249,
              _t("Unwaxed lemons", "Limones sin encerar", "西班牙无蜡柠檬", "Лимоны без воска"),
              _t("Verna and Fino lemons from Murcia, not waxed, so the zest is safe to use.",
                 "Limones Verna y Fino de Murcia, sin encerar, así que la piel se puede rallar "
                 "sin problema.",
                 "西班牙穆尔西亚出产的 Verna 与 Fino 品种柠檬，未打蜡，果皮可直接擦屑使用。",
                 "Лимоны сортов верна и фино из Мурсии без воска — цедру можно использовать."),
              _origin(country="ES", region="Murcia", farm="Finca El Limonar",
                      variety="Verna, Fino", harvest_method="hand-picked", shelf_life_days=21,
                      storage_temp_c="8-10"),
              weight=True),
        _food("GRC-WATERMELON", fruit, "Plaza", 129,
              _t("Qilin watermelon", "Sandía Qilin", "海南麒麟西瓜", "Арбуз цилинь"),
              _t("Small, thin-skinned watermelons from Hainan with crisp, very sweet red "
                 "flesh. Sold whole or in halves.",
                 "Sandías pequeñas de piel fina de Hainan, con pulpa roja crujiente y muy dulce. "
                 "Se venden enteras o por mitades.",
                 "海南麒麟瓜，个头小巧、皮薄，瓤红脆甜，糖度高。整个或半个出售。",
                 "Небольшие тонкокорые арбузы с Хайнаня с хрустящей и очень сладкой красной "
                 "мякотью. Продаются целиком или половинками."),
              _origin(country="CN", region="Ledong, Hainan", farm="Ledong melon cooperative",
                      variety="Qilin", harvest_method="hand-picked", shelf_life_days=10,
                      storage_temp_c="10-15"),
              weight=True),
        _food("GRC-DURIAN", fruit, "Plaza", 1990,
              _t("Monthong durian", "Durián Monthong", "泰国金枕榴莲", "Дуриан монтонг"),
              _t("The 'king of fruits' from Chanthaburi, Thailand, harvested fully mature. "
                 "Creamy flesh, sweet as custard; ask us to open it for you.",
                 "El «rey de las frutas», de Chanthaburi (Tailandia), cosechado en plena "
                 "madurez. Pulpa cremosa y dulce como unas natillas; si quieres, te lo abrimos.",
                 "“水果之王”，产自泰国尖竹汶府，完全成熟后采摘。果肉绵密香甜如奶油，可请店员"
                 "帮您开果。",
                 "«Король фруктов» из провинции Чантхабури (Таиланд), собран полностью "
                 "созревшим. Сливочная мякоть, сладкая, как заварной крем; по просьбе вскроем его "
                 "для вас."),
              _origin(country="TH", region="Chanthaburi", farm="Ban Kha durian orchard",
                      variety="Monthong", harvest_method="hand-cut", shelf_life_days=5,
                      storage_temp_c="15-20"),
              weight=True),
        _food("GRC-LYCHEE", fruit, "Plaza", 890,
              _t("Feizixiao lychees", "Lichis Feizixiao", "广东妃子笑荔枝", "Личи фэйцзысяо"),
              _t("Early-season lychees from Maoming, Guangdong, cut on the branch and cooled at "
                 "once. Juicy, floral and sweet.",
                 "Lichis de temporada temprana de Maoming (Cantón), cortados con rama y "
                 "enfriados al instante. Jugosos, florales y dulces.",
                 "广东茂名早熟妃子笑，带枝采摘后立即预冷保鲜。果肉多汁，香甜带花香。",
                 "Ранние личи из Маомина (провинция Гуандун), срезаны с веточкой и сразу "
                 "охлаждены. Сочные, сладкие, с цветочным ароматом."),
              _origin(country="CN", region="Maoming, Guangdong", farm="Gaozhou lychee orchards",
                      variety="Feizixiao", harvest_method="hand-picked", shelf_life_days=5,
                      storage_temp_c="2-4"),
              weight=True),
        _food("GRC-TOMATO-VINE", veg, "Plaza", 299,
              _t("Vine tomatoes", "Tomates en rama", "西班牙串收番茄", "Томаты на ветке"),
              _t("Greenhouse tomatoes from Almería, ripened on the plant and picked on the "
                 "truss. Juicy and aromatic.",
                 "Tomates de invernadero de Almería, madurados en la planta y recogidos en rama. "
                 "Jugosos y aromáticos.",
                 "西班牙阿尔梅里亚温室种植，藤上自然成熟后整串采收，多汁清香。",
                 "Тепличные томаты из Альмерии, дозревают на кусте и собираются целой кистью. "
                 "Сочные и ароматные."),
              _origin(country="ES", region="Almería", farm="Invernaderos El Ejido",
                      cultivation="greenhouse", harvest_method="hand-picked on the truss",
                      shelf_life_days=7, storage_temp_c="10-13"),
              weight=True),
        _food("GRC-POTATO", veg, "Plaza", 99,
              _t("Potatoes", "Patatas", "俄罗斯黄心土豆", "Картофель"),
              _t("Yellow-fleshed potatoes from the Bryansk region: good all-rounders for "
                 "mashing, roasting and soups.",
                 "Patatas de carne amarilla de la región de Briansk, muy versátiles: para puré, "
                 "al horno o en sopa.",
                 "产自俄罗斯布良斯克州的黄心土豆，做土豆泥、烤土豆或炖汤都合适。",
                 "Картофель с жёлтой мякотью из Брянской области — универсальный: для пюре, "
                 "запекания и супов."),
              _origin(country="RU", region="Bryansk Oblast", farm="Agrofirma Bryanskaya",
                      variety="Gala", harvest_method="machine-harvested", shelf_life_days=60,
                      storage_temp_c="4-6"),
              weight=True),
        _food("GRC-BOKCHOY", veg, "Plaza", 349,
              _t("Shanghai bok choy", "Bok choy de Shanghái", "崇明上海青",
                 "Бок-чой шанхайский"),
              _t("Tender baby bok choy grown on Chongming island at the mouth of the Yangtze "
                 "and harvested the same morning. Stir-fry it with garlic.",
                 "Bok choy tierno cultivado en la isla de Chongming, en la desembocadura del "
                 "Yangtsé, y cosechado esa misma mañana. Salteado con ajo.",
                 "长江口崇明岛种植，当天清晨采收，鲜嫩翠绿，蒜蓉清炒最佳。",
                 "Нежный молодой бок-чой с острова Чунмин в устье Янцзы, собранный тем же утром. "
                 "Обжарьте с чесноком."),
              _origin(country="CN", region="Chongming, Shanghai", farm="Chongming Green Farm",
                      harvest_method="hand-harvested", shelf_life_days=3, storage_temp_c="2-4"),
              weight=True, adjust={"CNY": 0.45}),
        _food("GRC-CUCUMBER", veg, "Plaza", 249,
              _t("Short cucumbers", "Pepinos cortos", "温室水果黄瓜", "Огурцы короткоплодные"),
              _t("Crunchy, thin-skinned cucumbers from greenhouses near Moscow, picked every "
                 "day all year round.",
                 "Pepinos crujientes de piel fina, de invernaderos cercanos a Moscú, recogidos a "
                 "diario durante todo el año.",
                 "产自莫斯科近郊温室，皮薄脆嫩，全年每日采摘。",
                 "Хрустящие тонкокожие огурцы из подмосковных теплиц — собираем каждый день "
                 "круглый год."),
              _origin(country="RU", region="Moscow Oblast", farm="Teplichny Kombinat Moskovsky",
                      cultivation="greenhouse", harvest_method="hand-picked", shelf_life_days=7,
                      storage_temp_c="8-12"),
              weight=True),
        _food("GRC-BROCCOLI", veg, "Plaza", 299,
              _t("Broccoli", "Brócoli", "西兰花", "Брокколи"),
              _t("Tight green heads from Murcia, cut and iced in the field so they stay crisp. "
                 "Steam, roast or stir-fry.",
                 "Pellas compactas de Murcia, cortadas y enfriadas con hielo en el campo para "
                 "que lleguen tersas. Al vapor, al horno o salteado.",
                 "西班牙穆尔西亚出产，花球紧实，田间采收后立即加冰预冷，保持脆嫩。适合清蒸、"
                 "烤制或清炒。",
                 "Плотные кочаны из Мурсии, срезанные и охлаждённые льдом прямо в поле, чтобы "
                 "остались хрусткими. Готовьте на пару, запекайте или обжаривайте."),
              _origin(country="ES", region="Murcia", farm="Campo de Cartagena growers",
                      harvest_method="hand-cut, field-iced", shelf_life_days=7,
                      storage_temp_c="0-2"),
              weight=True),
        _food("GRC-GINGER", veg, "Plaza", 499,
              _t("Fresh ginger", "Jengibre fresco", "山东安丘大姜", "Свежий имбирь"),
              _t("Plump ginger roots from Anqiu, Shandong, China's best-known ginger county. "
                 "Hot and fragrant.",
                 "Raíces de jengibre gruesas de Anqiu (Shandong), la comarca jengibrera más "
                 "famosa de China. Picante y aromático.",
                 "产自中国著名的生姜之乡山东安丘，块大饱满，辛香浓郁。",
                 "Крупные корни имбиря из уезда Аньцю (провинция Шаньдун), самого известного "
                 "имбирного края Китая. Острый и ароматный."),
              _origin(country="CN", region="Anqiu, Shandong", farm="Anqiu ginger cooperative",
                      harvest_method="hand-dug", shelf_life_days=30, storage_temp_c="12-14"),
              weight=True, adjust={"CNY": 0.5}),
        _food("GRC-SHIITAKE", veg, "Plaza", 990,
              _t("Shiitake mushrooms", "Setas shiitake", "西峡香菇", "Грибы шиитаке"),
              _t("Log-grown shiitake from Xixia in the Funiu Mountains, with thick caps and a "
                 "deep, savoury aroma.",
                 "Shiitake cultivadas en troncos en Xixia, en los montes Funiu, con sombrero "
                 "grueso y un aroma intenso y sabroso.",
                 "产自伏牛山区河南西峡的段木香菇，菇肉肥厚，香气浓郁。",
                 "Шиитаке, выращенные на брёвнах в уезде Сися в горах Фунюшань: толстые шляпки и "
                 "насыщенный аромат."),
              _origin(country="CN", region="Xixia, Henan", farm="Funiu Mountain mushroom farms",
                      cultivation="log-grown", harvest_method="hand-picked", shelf_life_days=7,
                      storage_temp_c="1-4"),
              weight=True, adjust={"CNY": 0.55}),
        _food("GRC-PEPPER-RED", veg, "Plaza", 349,
              _t("Red bell peppers", "Pimientos rojos", "红甜椒", "Красный сладкий перец"),
              _t("Thick-walled California peppers from Almería, sweet and crunchy raw or "
                 "roasted.",
                 "Pimientos California de carne gruesa de Almería, dulces y crujientes en crudo "
                 "o asados.",
                 "西班牙阿尔梅里亚种植的厚肉甜椒，生吃清甜爽脆，烤制同样美味。",
                 "Толстостенный перец «Калифорния» из Альмерии — сладкий и хрустящий и в сыром "
                 "виде, и запечённым."),
              _origin(country="ES", region="Almería", farm="Invernaderos El Ejido",
                      variety="California", cultivation="greenhouse",
                      harvest_method="hand-picked", shelf_life_days=10, storage_temp_c="7-10"),
              weight=True),
        # fresh produce sold by the piece or the pack
        _food("GRC-AVOCADO", fruit, "Plaza", 149,
              _t("Ready-to-eat Hass avocado", "Aguacate Hass listo para comer",
                 "即食哈斯牛油果", "Авокадо хасс, готовое к употреблению"),
              _t("Peruvian Hass avocados ripened in our rooms, so they are soft and ready to "
                 "eat today.",
                 "Aguacates Hass de Perú madurados en nuestras cámaras para que estén blandos y "
                 "listos para comer hoy.",
                 "秘鲁哈斯牛油果，经门店催熟后上架，今天即可食用。",
                 "Авокадо хасс из Перу, дозревшие в наших камерах: мягкие и готовые к "
                 "употреблению уже сегодня."),
              _origin(country="PE", region="La Libertad", farm="Fundo Chavimochic",
                      variety="Hass", harvest_method="hand-picked", shelf_life_days=3,
                      storage_temp_c="4-8")),
        _food("GRC-STRAWBERRY", fruit, "Plaza", 399,
              _t("Strawberries, 500 g", "Fresas, 500 g", "西班牙草莓（500 克）",
                 "Клубника, 500 г"),
              _t("Strawberries from Huelva, picked red-ripe each morning: sweet, fragrant and "
                 "ready to eat.",
                 "Fresas de Huelva recogidas cada mañana bien maduras: dulces, aromáticas y "
                 "listas para comer.",
                 "西班牙韦尔瓦草莓，每天清晨采摘红熟果实，香甜可口，洗净即食。",
                 "Клубника из Уэльвы, собранная спелой каждое утро: сладкая, ароматная и готовая "
                 "к столу."),
              _origin(country="ES", region="Huelva", farm="Finca Los Arenales",
                      variety="Fortuna", harvest_method="hand-picked", shelf_life_days=4,
                      storage_temp_c="2-4")),
        _food("GRC-BLUEBERRY", fruit, "Plaza", 249,
              _t("Blueberries, 125 g", "Arándanos, 125 g", "秘鲁蓝莓（125 克）",
                 "Голубика, 125 г"),
              _t("Large, firm blueberries from Peru's coastal valleys, with the silvery bloom "
                 "that shows careful handling.",
                 "Arándanos grandes y firmes de los valles costeros de Perú, con la pruina "
                 "plateada que demuestra un manejo cuidadoso.",
                 "产自秘鲁沿海河谷，果粒大而饱满，表面果粉完整，说明采收处理细心。",
                 "Крупная плотная голубика из прибрежных долин Перу с серебристым налётом — "
                 "признаком бережного обращения."),
              _origin(country="PE", region="La Libertad", farm="Fundo Virú", variety="Biloxi",
                      harvest_method="hand-picked", shelf_life_days=10, storage_temp_c="0-2")),
        _food("GRC-KIWI-GOLD", fruit, "Plaza", 399,
              _t("Gold kiwifruit, 4 pack", "Kiwis amarillos, 4 unidades",
                 "新西兰阳光金果（4 个装）", "Золотые киви, 4 шт."),
              _t("Smooth-skinned golden kiwifruit from the Bay of Plenty, New Zealand: "
                 "tropically sweet and rich in vitamin C.",
                 "Kiwis de piel lisa y pulpa amarilla de la bahía de Plenty (Nueva Zelanda): "
                 "dulces, tropicales y ricos en vitamina C.",
                 "新西兰丰盛湾出产，果皮光滑、果肉金黄，带热带水果般的香甜，富含维生素 C。",
                 "Золотые киви с гладкой кожицей из залива Пленти (Новая Зеландия): "
                 "тропически сладкие и богатые витамином C."),
              _origin(country="NZ", region="Bay of Plenty", farm="Te Puke orchards",
                      variety="SunGold", harvest_method="hand-picked", shelf_life_days=14,
                      storage_temp_c="0-4")),
        _food("GRC-LETTUCE", veg, "Plaza", 99,
              _t("Iceberg lettuce", "Lechuga iceberg", "球生菜", "Салат айсберг"),
              _t("A crisp, tightly packed head from Murcia, for salads, burgers and lettuce "
                 "wraps.",
                 "Cogollo crujiente y compacto de Murcia, para ensaladas, hamburguesas y wraps "
                 "de lechuga.",
                 "西班牙穆尔西亚球生菜，叶球紧实脆爽，适合沙拉、汉堡或生菜包。",
                 "Плотный хрустящий кочан из Мурсии — для салатов, бургеров и роллов в листьях "
                 "салата."),
              _origin(country="ES", region="Murcia", farm="Campo de Cartagena growers",
                      harvest_method="hand-cut", shelf_life_days=7, storage_temp_c="0-4")),
    ]


def _chilled() -> list[_Def]:
    dairy, tofu, frozen = "grocery/dairy", "grocery/tofu", "grocery/frozen"
    bakery, eggs = "grocery/bakery", "grocery/eggs"
    return [
        _food("GRC-MILK", dairy, "Weidehof", 119,
              _t("Bavarian fresh milk", "Leche fresca de Baviera", "德国巴伐利亚鲜牛奶",
                 "Свежее молоко из Баварии"),
              _t("Gently pasteurised milk from cows that graze Alpine foothill meadows at least "
                 "120 days a year. Not homogenised: shake before pouring.",
                 "Leche pasteurizada suavemente, de vacas que pastan en los prados de las "
                 "estribaciones alpinas al menos 120 días al año. Sin homogeneizar: agítala "
                 "antes de servir.",
                 "低温巴氏杀菌，奶源来自每年至少放牧 120 天的阿尔卑斯山麓牧场奶牛。未均质，"
                 "饮用前请摇匀。",
                 "Бережно пастеризованное молоко от коров, которые не меньше 120 дней в году "
                 "пасутся на лугах в предгорьях Альп. Не гомогенизировано — взболтайте перед "
                 "тем, как налить."),
              _origin(country="DE", region="Allgäu, Bavaria", producer="Molkerei Weidehof eG",
                      production_method="pasture-raised cows, gently pasteurised",
                      shelf_life_days=10, storage_temp_c="2-6"),
              variants=_cross(_axis("fat", ("35", "3.5%", 0), ("15", "1.5%", -10)),
                              _axis("volume", ("1L", "1 L", 0), ("2L", "2 L", 100)))),
        _food("GRC-KEFIR", dairy, "Zorka", 149,
              _t("Kefir, 1 L", "Kéfir, 1 L", "开菲尔发酵乳（1 升）", "Кефир, 1 л"),
              _t("Traditional Russian kefir fermented with live kefir grains: a tangy, lightly "
                 "fizzy drink.",
                 "Kéfir tradicional ruso fermentado con nódulos de kéfir vivos: una bebida ácida "
                 "y ligeramente burbujeante.",
                 "俄罗斯传统开菲尔，以活性开菲尔粒发酵，口感微酸，略带气泡。",
                 "Традиционный кефир на живой кефирной закваске: освежающий, с лёгкой кислинкой "
                 "и игристостью."),
              _origin(country="RU", region="Vologda Oblast", producer="Vologodsky Molochny Zavod",
                      production_method="fermented with kefir grains", shelf_life_days=10,
                      storage_temp_c="2-6"),
              variants=_axis("fat", ("10", "1%", -10), ("25", "2.5%", 0), ("32", "3.2%", 10))),
        _food("GRC-YOGURT", dairy, "Olympos Valley", 299,
              _t("Greek strained yoghurt, 500 g", "Yogur griego colado, 500 g",
                 "希腊浓缩酸奶（500 克）", "Греческий йогурт, 500 г"),
              _t("Thick, creamy yoghurt strained the traditional way in Thessaly, 10% fat. "
                 "Plain, or with Greek thyme honey.",
                 "Yogur espeso y cremoso colado a la manera tradicional en Tesalia, con un 10 % "
                 "de grasa. Natural o con miel griega de tomillo.",
                 "希腊色萨利传统工艺过滤浓缩，质地浓稠顺滑，脂肪含量 10%。原味或搭配希腊百里香"
                 "蜂蜜。",
                 "Густой сливочный йогурт, процеженный по традиции Фессалии, жирность 10 %. "
                 "Натуральный или с греческим тимьяновым мёдом."),
              _origin(country="GR", region="Thessaly", producer="Olympos Valley Dairy",
                      production_method="strained", shelf_life_days=30, storage_temp_c="2-6"),
              variants=_axis("flavour", ("NAT", "plain", 0), ("HNY", "honey", 40))),
        _food("GRC-BUTTER", dairy, "Zorka", 249,
              _t("Butter 82.5%, 180 g", "Mantequilla 82,5 %, 180 g", "黄油 82.5%（180 克）",
                 "Масло сливочное 82,5 %, 180 г"),
              _t("Sweet-cream butter churned to the Russian GOST standard from Vologda cream: "
                 "no vegetable fats, nothing added.",
                 "Mantequilla de nata dulce elaborada según la norma rusa GOST con nata de "
                 "Vólogda: sin grasas vegetales ni aditivos.",
                 "按俄罗斯 GOST 标准以沃洛格达鲜奶油制成的甜奶油黄油，不含植物油脂，无任何添加。",
                 "Сладкосливочное масло по ГОСТ из вологодских сливок: без растительных жиров и "
                 "добавок."),
              _origin(country="RU", region="Vologda Oblast", producer="Vologodsky Molochny Zavod",
                      standard="GOST 32261", shelf_life_days=35, storage_temp_c="2-6")),
        _food("GRC-MANCHEGO", dairy, "Quesería La Mancha", 549,
              _t("Manchego cheese, aged 6 months, 250 g", "Queso manchego curado, 250 g",
                 "西班牙曼切戈奶酪（熟成 6 个月，250 克）",
                 "Сыр манчего, выдержка 6 месяцев, 250 г"),
              _t("Sheep's milk cheese from La Mancha with a PDO, aged six months for a firm "
                 "texture and a nutty flavour.",
                 "Queso de leche de oveja manchega con DOP, curado seis meses: textura firme y "
                 "sabor a frutos secos.",
                 "西班牙拉曼恰原产地保护奶酪，以绵羊奶制成，熟成六个月，质地紧实，带坚果香。",
                 "Сыр из овечьего молока с защищённым наименованием из Ла-Манчи, выдержан шесть "
                 "месяцев: плотная текстура и ореховый вкус."),
              _origin(country="ES", region="Castilla-La Mancha", producer="Quesería La Mancha",
                      certification="PDO Queso Manchego", ageing_days=180, shelf_life_days=90,
                      storage_temp_c="2-8")),
        _food("GRC-TOFU-SILK", tofu, "Qingxi", 129,
              _t("Silken tofu, 400 g", "Tofu sedoso, 400 g", "内酯豆腐（400 克）",
                 "Тофу шёлковый, 400 г"),
              _t("Smooth, custard-like tofu made fresh every day from non-GMO soybeans from "
                 "Heilongjiang. For mapo tofu, soups and cold dishes.",
                 "Tofu suave como un flan, elaborado cada día con soja no transgénica de "
                 "Heilongjiang. Para mapo tofu, sopas y platos fríos.",
                 "选用黑龙江非转基因大豆，每日新鲜制作，口感细腻如布丁。适合麻婆豆腐、煲汤或凉拌。",
                 "Нежный, как заварной крем, тофу: каждый день свежий, из негенномодифицированной "
                 "сои из Хэйлунцзяна. Для мапо тофу, супов и холодных закусок."),
              _origin(country="CN", region="Shanghai", producer="Qingxi Soy Foods",
                      soy_origin="Heilongjiang, non-GMO", shelf_life_days=7,
                      storage_temp_c="0-4"),
              adjust={"CNY": 0.6}),
        _food("GRC-TOFU-FIRM", tofu, "Qingxi", 129,
              _t("Firm tofu, 400 g", "Tofu firme, 400 g", "北豆腐（400 克）",
                 "Тофу плотный, 400 г"),
              _t("Traditional tofu set with nigari brine: dense and meaty, it holds its shape "
                 "in stir-fries, stews and hot pot.",
                 "Tofu tradicional cuajado con nigari: denso y carnoso, no se deshace en "
                 "salteados, guisos ni hot pot.",
                 "传统卤水点制，质地紧实有嚼劲，炒、炖、涮火锅都不易碎。",
                 "Традиционный тофу, створоженный на нигари: плотный, не разваливается при "
                 "жарке, тушении и в хот-поте."),
              _origin(country="CN", region="Shanghai", producer="Qingxi Soy Foods",
                      soy_origin="Heilongjiang, non-GMO", shelf_life_days=10,
                      storage_temp_c="0-4"),
              adjust={"CNY": 0.6}),
        _food("GRC-SOYMILK", tofu, "Qingxi", 179,
              _t("Fresh soy milk, 1 L", "Bebida de soja fresca, 1 L", "鲜豆浆（1 升）",
                 "Соевое молоко свежее, 1 л"),
              _t("Ground from whole soybeans and cooked the same day, with a rich bean taste. "
                 "Unsweetened or lightly sweetened.",
                 "Molida con habas de soja enteras y cocida en el mismo día, con intenso sabor a "
                 "soja. Sin azúcar o ligeramente endulzada.",
                 "整粒大豆现磨当天煮制，豆香浓郁。无糖或微甜可选。",
                 "Из цельных соевых бобов, перемолотых и сваренных в тот же день, с насыщенным "
                 "вкусом. Без сахара или слегка сладкое."),
              _origin(country="CN", region="Shanghai", producer="Qingxi Soy Foods",
                      soy_origin="Heilongjiang, non-GMO", shelf_life_days=5,
                      storage_temp_c="0-4"),
              variants=_axis("sweetness", ("UNSW", "unsweetened", 0),
                             ("LSW", "lightly sweetened", 0))),
        _food("GRC-DUMPLING", frozen, "Wanfu", 599,
              _t("Frozen dumplings (jiaozi), 1 kg",
                 "Empanadillas chinas (jiaozi) congeladas, 1 kg",
                 "速冻水饺（1 公斤）", "Китайские пельмени цзяоцзы замороженные, 1 кг"),
              _t("Hand-folded northern-style dumplings with thin wrappers and juicy fillings. "
                 "Boil from frozen for 6–8 minutes and serve with black vinegar.",
                 "Empanadillas al estilo del norte de China, cerradas a mano, con masa fina y "
                 "relleno jugoso. Cuécelas congeladas de 6 a 8 minutos y sírvelas con vinagre "
                 "negro.",
                 "北方手工包制，皮薄馅大汁多。无需解冻，水煮 6–8 分钟，蘸香醋食用。",
                 "Цзяоцзы по-северокитайски, слепленные вручную, с тонким тестом и сочной "
                 "начинкой. Варите не размораживая 6–8 минут, подавайте с чёрным уксусом."),
              _origin(country="CN", region="Zhengzhou, Henan", producer="Wanfu Foods",
                      shelf_life_days=365, storage_temp_c="-18"),
              variants=_axis("filling", ("PKCAB", "pork and napa cabbage", 0),
                             ("PKCHV", "pork and chive", 0), ("PKSHR", "pork and shrimp", 100),
                             ("EGGCHV", "egg and chive", 0))),
        _food("GRC-PELMENI", frozen, "Sibirsky Dvor", 449,
              _t("Siberian pelmeni, 800 g", "Pelmeni siberianos, 800 g",
                 "西伯利亚肉馅饺子（800 克）", "Пельмени «Сибирские», 800 г"),
              _t("Small Russian dumplings filled with beef and pork to an old Siberian recipe. "
                 "Boil for 5–7 minutes and serve with sour cream and dill.",
                 "Pequeñas empanadillas rusas rellenas de ternera y cerdo, según una antigua "
                 "receta siberiana. Cuécelas 5–7 minutos y sírvelas con nata agria y eneldo.",
                 "按西伯利亚传统配方制作的俄式小饺子，牛肉猪肉馅。水煮 5–7 分钟，配酸奶油和"
                 "莳萝食用。",
                 "Пельмени с говядиной и свининой по старинному сибирскому рецепту. Варите 5–7 "
                 "минут, подавайте со сметаной и укропом."),
              _origin(country="RU", region="Novosibirsk Oblast", producer="Sibirsky Dvor",
                      shelf_life_days=180, storage_temp_c="-18")),
        _food("GRC-XLB", frozen, "Nanxiang Kitchen", 499,
              _t("Xiaolongbao soup dumplings, 360 g", "Xiaolongbao (bollitos con caldo), 360 g",
                 "南翔小笼包（360 克）", "Сяолунбао с бульоном, 360 г"),
              _t("Shanghai's famous pleated buns: a thin wrapper around pork and a spoonful of "
                 "rich broth. Steam from frozen for 10 minutes.",
                 "Los famosos bollitos plisados de Shanghái: masa fina con relleno de cerdo y "
                 "una cucharada de caldo sabroso. Al vapor, sin descongelar, 10 minutos.",
                 "上海名点，皮薄褶匀，鲜肉馅中裹着一口浓郁汤汁。冷冻状态直接上锅蒸 10 分钟。",
                 "Знаменитые шанхайские пирожки со складочками: тонкое тесто, свиная начинка и "
                 "ложка наваристого бульона внутри. Готовьте на пару из замороженного состояния "
                 "10 минут."),
              _origin(country="CN", region="Jiading, Shanghai", producer="Nanxiang Kitchen",
                      shelf_life_days=270, storage_temp_c="-18")),
        _food("GRC-TANGYUAN", frozen, "Ningbo Ruyi", 299,
              _t("Black sesame tangyuan, 400 g", "Tangyuan de sésamo negro, 400 g",
                 "宁波黑芝麻汤圆（400 克）", "Танъюань с чёрным кунжутом, 400 г"),
              _t("Glutinous rice balls with a molten black sesame filling, a Ningbo speciality "
                 "for the Lantern Festival. Boil until they float.",
                 "Bolitas de arroz glutinoso rellenas de sésamo negro fundido, especialidad de "
                 "Ningbo para la Fiesta de los Faroles. Cuécelas hasta que floten.",
                 "宁波特色糯米汤圆，黑芝麻流心馅，元宵节必备。水煮至浮起即可。",
                 "Шарики из клейкого риса с тающей начинкой из чёрного кунжута — нинбоское "
                 "лакомство к Празднику фонарей. Варите, пока не всплывут."),
              _origin(country="CN", region="Ningbo, Zhejiang", producer="Ningbo Ruyi Foods",
                      shelf_life_days=365, storage_temp_c="-18")),
        _food("GRC-SOURDOUGH", bakery, "Horno de Leña", 349,
              _t("Sourdough country loaf, 750 g", "Hogaza de masa madre, 750 g",
                 "天然酵母乡村面包（750 克）", "Деревенский хлеб на закваске, 750 г"),
              _t("Baked every morning in Madrid from a 24-hour sourdough, with a crackling "
                 "crust and an open, chewy crumb.",
                 "Horneada cada mañana en Madrid con masa madre de 24 horas: corteza crujiente y "
                 "miga alveolada y elástica.",
                 "每天早晨在马德里烤制，经 24 小时天然酵种发酵，外皮酥脆，内部组织蓬松有嚼劲。",
                 "Выпекается каждое утро в Мадриде на закваске суточного брожения: хрустящая "
                 "корка и пористый упругий мякиш."),
              _origin(country="ES", region="Madrid", producer="Horno de Leña S.L.",
                      flour="stone-milled Castilian wheat", shelf_life_days=3,
                      storage_temp_c="15-25")),
        _food("GRC-BORODINSKY", bakery, "Moskovsky Khleb", 199,
              _t("Borodinsky rye bread, 400 g", "Pan de centeno Borodinski, 400 g",
                 "俄罗斯波罗金诺黑麦面包（400 克）", "Хлеб «Бородинский», 400 г"),
              _t("Dark Russian rye bread with molasses and coriander seeds on the crust, baked "
                 "to the classic recipe. Great with herring or butter.",
                 "Pan ruso de centeno oscuro con melaza y semillas de cilantro en la corteza, "
                 "según la receta clásica. Delicioso con arenque o mantequilla.",
                 "俄罗斯经典配方黑麦面包，加入糖蜜，外皮撒有芫荽籽。配鲱鱼或黄油都很美味。",
                 "Тёмный ржаной хлеб с патокой и кориандром на корочке по классической "
                 "рецептуре. Хорош с селёдкой или сливочным маслом."),
              _origin(country="RU", region="Moscow", producer="Moskovsky Khleb",
                      shelf_life_days=5, storage_temp_c="15-25"),
              adjust={"RUB": 0.7}),
        _food("GRC-CROISSANT", bakery, "Plaza", 299,
              _t("All-butter croissants, 4 pack", "Cruasanes de mantequilla, 4 unidades",
                 "法式黄油可颂（4 个装）", "Круассаны на сливочном масле, 4 шт."),
              _t("Made with Charentes-Poitou PDO butter and baked in store through the day: "
                 "flaky, golden and light.",
                 "Elaborados con mantequilla DOP Charentes-Poitou y horneados en tienda a lo "
                 "largo del día: hojaldrados, dorados y ligeros.",
                 "采用法国夏朗德-普瓦图原产地保护黄油，门店全天分批现烤，层次分明、金黄酥松。",
                 "С маслом «Шаранта-Пуату» с защищённым наименованием, выпекаются в магазине в "
                 "течение всего дня: слоистые, золотистые и лёгкие."),
              _origin(country="FR", region="Normandy", producer="Plaza in-store bakery",
                      butter="PDO Charentes-Poitou", dough="made in Normandy, baked in store",
                      shelf_life_days=2, storage_temp_c="15-25")),
        _food("GRC-MILKBREAD", bakery, "Mianbao Fang", 249,
              _t("Hokkaido milk bread, 400 g", "Pan de leche estilo Hokkaido, 400 g",
                 "北海道牛奶吐司（400 克）", "Молочный хлеб «Хоккайдо», 400 г"),
              _t("A pillowy sandwich loaf made by the tangzhong method with fresh cream, so it "
                 "stays soft for days.",
                 "Pan de molde esponjoso elaborado con el método tangzhong y nata fresca, por lo "
                 "que se mantiene tierno varios días.",
                 "采用汤种法与鲜奶油制作，组织绵软拉丝，放几天依然松软。",
                 "Воздушный хлеб для тостов, приготовленный методом тансонь на свежих сливках: "
                 "остаётся мягким несколько дней."),
              _origin(country="CN", region="Shanghai", producer="Mianbao Fang Bakery",
                      shelf_life_days=4, storage_temp_c="15-25")),
        _food("GRC-EGGS", eggs, "Granja Los Olmos", 199,
              _t("Free-range eggs, size L", "Huevos camperos, talla L", "散养鸡蛋（L 号）",
                 "Яйца от кур свободного выгула, размер L"),
              _t("From hens that roam outdoors on farms in Castile; each egg is stamped with "
                 "its farm code, so you can trace it.",
                 "De gallinas que salen al aire libre en granjas de Castilla; cada huevo lleva "
                 "impreso el código de su granja para que puedas rastrearlo.",
                 "来自西班牙卡斯蒂利亚户外散养母鸡，每枚蛋都印有农场编码，可追溯来源。",
                 "От кур, которые гуляют на свежем воздухе на фермах Кастилии; на каждом яйце "
                 "напечатан код фермы, так что его происхождение можно проследить."),
              _origin(country="ES", region="Castilla-La Mancha", farm="Granja Los Olmos",
                      production_method="free-range (EU code 1)", shelf_life_days=28,
                      storage_temp_c="5-18"),
              variants=_axis("pack", ("6", "6 eggs", 0), ("12", "12 eggs", 180),
                             ("30", "30 eggs", 600))),
        _food("GRC-DUCKEGG", eggs, "Gaoyou Lake", 349,
              _t("Gaoyou salted duck eggs, 6 pack", "Huevos de pato salados de Gaoyou, 6 unidades",
                 "高邮咸鸭蛋（6 枚装）", "Солёные утиные яйца из Гаою, 6 шт."),
              _t("Cured in brine and cooked, with a rich orange yolk that oozes oil. Eat with "
                 "rice porridge, or use in mooncakes and zongzi.",
                 "Curados en salmuera y cocidos, con una yema naranja intensa que rezuma aceite. "
                 "Se comen con gachas de arroz o se usan en pasteles de luna y zongzi.",
                 "盐水腌制后煮熟，蛋黄红亮流油。配白粥食用，或用来做月饼、粽子。",
                 "Выдержаны в рассоле и сварены; насыщенно-оранжевый желток сочится маслом. Их "
                 "едят с рисовой кашей или кладут в лунные пряники и цзунцзы."),
              _origin(country="CN", region="Gaoyou, Jiangsu", farm="Gaoyou Lake duck farms",
                      production_method="brine-cured for 30 days, cooked", shelf_life_days=180,
                      storage_temp_c="0-25")),
        _food("GRC-QUAILEGG", eggs, "Zaokskaya", 249,
              _t("Quail eggs, 20 pack", "Huevos de codorniz, 20 unidades",
                 "鹌鹑蛋（20 枚装）", "Яйца перепелиные, 20 шт."),
              _t("Small speckled eggs from a family farm south of Moscow. Boil them for two and "
                 "a half minutes for salads and snacks.",
                 "Pequeños huevos moteados de una granja familiar al sur de Moscú. Cuécelos dos "
                 "minutos y medio para ensaladas y aperitivos.",
                 "来自莫斯科南郊家庭农场的斑点小鹌鹑蛋，煮两分半钟，可用于沙拉或作小食。",
                 "Маленькие пёстрые яйца с семейной фермы к югу от Москвы. Варите две с "
                 "половиной минуты — для салатов и закусок."),
              _origin(country="RU", region="Tula Oblast", farm="Zaokskaya quail farm",
                      shelf_life_days=30, storage_temp_c="0-20")),
    ]


def _packaged() -> list[_Def]:
    rice, noodles = "grocery/packaged/rice", "grocery/packaged/noodles"
    tea, pantry = "grocery/packaged/tea", "grocery/packaged/pantry"
    return [
        _food("GRC-RICE-WUCHANG", rice, "Wuchang Heitu", 499,
              _t("Wuchang Daohuaxiang rice", "Arroz Daohuaxiang de Wuchang", "五常稻花香大米",
                 "Рис даохуасян из Учана"),
              _t("Fragrant japonica rice from the black soil of Wuchang, Heilongjiang, with one "
                 "harvest a year. Cooks soft, glossy and slightly sweet.",
                 "Arroz japónica aromático de las tierras negras de Wuchang (Heilongjiang), con "
                 "una sola cosecha al año. Cocido queda suave, brillante y ligeramente dulce.",
                 "产自黑龙江五常黑土地，一年一季。米饭软糯油亮，清香微甜。",
                 "Ароматный рис японика с чернозёмов Учана (провинция Хэйлунцзян), один урожай в "
                 "год. После варки мягкий, блестящий и чуть сладковатый."),
              _origin(country="CN", region="Wuchang, Heilongjiang",
                      producer="Wuchang Heitu Rice Co.", variety="Daohuaxiang No. 2",
                      harvest="once a year, in autumn", shelf_life_days=365,
                      storage_temp_c="10-25"),
              variants=_axis("size", ("2K5", "2.5 kg", 0), ("5KG", "5 kg", 400))),
        _food("GRC-RICE-JASMINE", rice, "Siam Golden", 249,
              _t("Thai Hom Mali jasmine rice", "Arroz jazmín tailandés Hom Mali", "泰国茉莉香米",
                 "Тайский жасминовый рис хом мали"),
              _t("Long-grain Hom Mali rice from north-east Thailand, with its natural "
                 "pandan-like fragrance. Use a little less water for fluffy grains.",
                 "Arroz de grano largo Hom Mali del noreste de Tailandia, con su aroma natural "
                 "parecido al pandano. Cuécelo con algo menos de agua para un grano suelto.",
                 "产自泰国东北部的长粒茉莉香米，天然班兰香气。少放些水，煮出的米饭更松软。",
                 "Длиннозёрный рис хом мали с северо-востока Таиланда с естественным ароматом, "
                 "напоминающим пандан. Варите с чуть меньшим количеством воды — получится "
                 "рассыпчатым."),
              _origin(country="TH", region="Surin", producer="Siam Golden Rice Mill",
                      variety="Khao Dawk Mali 105", harvest="November to December",
                      shelf_life_days=365, storage_temp_c="10-25"),
              variants=_axis("size", ("1KG", "1 kg", 0), ("5KG", "5 kg", 750))),
        _food("GRC-RICE-BOMBA", rice, "Arroz de Calasparra", 399,
              _t("Bomba rice for paella, 1 kg", "Arroz bomba para paella, 1 kg",
                 "西班牙海鲜饭专用炸弹米（1 公斤）", "Рис бомба для паэльи, 1 кг"),
              _t("The short-grain rice from Calasparra (PDO) that absorbs three times its "
                 "volume of stock without breaking: the secret of a good paella.",
                 "El arroz de grano corto de Calasparra (DOP) que absorbe tres veces su volumen "
                 "de caldo sin romperse: el secreto de una buena paella.",
                 "西班牙卡拉斯帕拉原产地保护短粒米，可吸收自身三倍体积的高汤而不破碎，是做好"
                 "海鲜饭的秘诀。",
                 "Короткозёрный рис из Каласпарры с защищённым наименованием: впитывает втрое "
                 "больше бульона, чем его объём, и не разваривается. Секрет хорошей паэльи."),
              _origin(country="ES", region="Calasparra, Murcia",
                      producer="Cooperativa del Campo de Calasparra",
                      certification="PDO Calasparra", shelf_life_days=540,
                      storage_temp_c="10-25")),
        _food("GRC-BUCKWHEAT", rice, "Altai Zerno", 199,
              _t("Buckwheat groats, 900 g", "Trigo sarraceno tostado, 900 g",
                 "俄罗斯荞麦米（900 克）", "Крупа гречневая ядрица, 900 г"),
              _t("Roasted whole buckwheat kernels from the Altai, an everyday Russian staple: "
                 "nutty, filling and gluten-free.",
                 "Granos enteros de trigo sarraceno tostados de Altái, un básico de la cocina "
                 "rusa: sabor a frutos secos, saciante y sin gluten.",
                 "产自俄罗斯阿尔泰地区的烘烤整粒荞麦，俄罗斯家常主食，带坚果香气，饱腹且不含"
                 "麸质。",
                 "Обжаренная гречневая ядрица с Алтая: ореховый вкус, сытная и без глютена."),
              _origin(country="RU", region="Altai Krai", producer="Altai Zerno",
                      grade="first grade (GOST)", shelf_life_days=540, storage_temp_c="10-25")),
        _food("GRC-NOODLE-INST", noodles, "Wanfu", 299,
              _t("Instant noodles, 5 × 100 g", "Fideos instantáneos, 5 × 100 g",
                 "方便面（5 连包）", "Лапша быстрого приготовления, 5 × 100 г"),
              _t("Springy fried noodles with a generous soup base and dried vegetables, ready "
                 "in three minutes.",
                 "Fideos fritos elásticos con una base de caldo generosa y verduras "
                 "deshidratadas, listos en tres minutos.",
                 "面饼劲道爽滑，汤料包分量足，附脱水蔬菜包，三分钟即可食用。",
                 "Упругая жареная лапша с щедрой порцией бульона и сушёными овощами; готова за "
                 "три минуты."),
              _origin(country="CN", region="Tianjin", producer="Wanfu Foods",
                      shelf_life_days=180, storage_temp_c="10-25"),
              variants=_axis("flavour", ("BEEF", "braised beef", 0),
                             ("SUANCAI", "pickled cabbage and beef", 0),
                             ("SEAFOOD", "spicy seafood", 0))),
        _food("GRC-NOODLE-DRY", noodles, "Zhongyuan", 249,
              _t("Dried wheat noodles, 1 kg", "Fideos de trigo secos, 1 kg", "挂面（1 公斤）",
                 "Пшеничная лапша сушёная, 1 кг"),
              _t("Thin air-dried noodles made from northern Chinese wheat flour and salt; they "
                 "cook in four minutes and stay springy in soup.",
                 "Fideos finos secados al aire, elaborados con harina de trigo del norte de "
                 "China y sal; se cuecen en cuatro minutos y quedan elásticos en sopa.",
                 "选用北方小麦粉和食盐，自然风干的细挂面，煮四分钟即熟，汤面久煮不坨。",
                 "Тонкая лапша воздушной сушки из муки северокитайской пшеницы и соли: варится "
                 "четыре минуты и остаётся упругой в супе."),
              _origin(country="CN", region="Henan", producer="Zhongyuan Flour Mill",
                      shelf_life_days=365, storage_temp_c="10-25")),
        _food("GRC-RICENOODLE", noodles, "Lijiang", 199,
              _t("Guilin rice noodles, 400 g", "Fideos de arroz de Guilin, 400 g",
                 "桂林米粉（400 克）", "Рисовая лапша гуйлинь, 400 г"),
              _t("Round rice noodles from Guilin made only from rice and water: soak and boil "
                 "them, then top with braised meat and pickles.",
                 "Fideos de arroz redondos de Guilin, hechos solo con arroz y agua: remójalos, "
                 "cuécelos y sírvelos con carne guisada y encurtidos.",
                 "桂林圆粉，仅以大米和水制成。浸泡后煮熟，配卤肉和酸菜食用。",
                 "Круглая рисовая лапша из Гуйлиня — только рис и вода: замочите, отварите и "
                 "подавайте с тушёным мясом и соленьями."),
              _origin(country="CN", region="Guilin, Guangxi", producer="Lijiang Rice Noodle Co.",
                      shelf_life_days=365, storage_temp_c="10-25")),
        _food("GRC-SPAGHETTI", noodles, "Pastificio Vesuvio", 149,
              _t("Bronze-cut spaghetti, 500 g", "Espaguetis trefilados en bronce, 500 g",
                 "意大利青铜模意面（500 克）", "Спагетти бронзовой экструзии, 500 г"),
              _t("Durum wheat pasta from Gragnano (PGI), drawn through bronze dies and dried "
                 "slowly, so its rough surface holds the sauce.",
                 "Pasta de trigo duro de Gragnano (IGP), trefilada en bronce y secada "
                 "lentamente para que su superficie rugosa retenga la salsa.",
                 "意大利格拉尼亚诺地理标志产品，硬质小麦制成，青铜模具挤压并低温慢速干燥，表面"
                 "粗糙，更易挂住酱汁。",
                 "Паста из твёрдой пшеницы из Граньяно (защищённое географическое указание): "
                 "формуется через бронзовые матрицы и медленно сушится, поэтому шероховатая "
                 "поверхность хорошо держит соус."),
              _origin(country="IT", region="Gragnano, Campania", producer="Pastificio Vesuvio",
                      certification="PGI Pasta di Gragnano", shelf_life_days=730,
                      storage_temp_c="10-25")),
        _food("GRC-TEA-LONGJING", tea, "Meijiawu", 1990,
              _t("West Lake Longjing green tea", "Té verde Longjing del Lago del Oeste",
                 "西湖龙井绿茶", "Зелёный чай лунцзин с Западного озера"),
              _t("Spring tea picked before Qingming in the hills around Hangzhou's West Lake "
                 "and pan-fired by hand into flat, jade-green leaves with a chestnut aroma.",
                 "Té de primavera recogido antes de Qingming en las colinas del Lago del Oeste "
                 "de Hangzhou y tostado a mano en wok: hojas planas de color jade con aroma a "
                 "castaña.",
                 "杭州西湖周边茶山明前春茶，手工炒制，扁平挺直，色泽翠绿，带栗香。",
                 "Весенний чай, собранный до праздника Цинмин на холмах у Западного озера в "
                 "Ханчжоу и вручную обжаренный в котле: плоские нефритово-зелёные листья с "
                 "ароматом каштана."),
              _origin(country="CN", region="West Lake, Hangzhou, Zhejiang",
                      producer="Meijiawu Tea Cooperative", harvest="before Qingming (early April)",
                      harvest_method="hand-picked, hand pan-fired", shelf_life_days=540,
                      storage_temp_c="0-5"),
              variants=_axis("size", ("100G", "100 g", 0), ("250G", "250 g", 2500))),
        _food("GRC-TEA-TGY", tea, "Anxi Tea House", 1690,
              _t("Anxi Tieguanyin oolong tea, 250 g", "Té oolong Tieguanyin de Anxi, 250 g",
                 "安溪铁观音乌龙茶（250 克）", "Улун те гуаньинь из Аньси, 250 г"),
              _t("Lightly oxidised, rolled oolong from Anxi in Fujian with an orchid "
                 "fragrance; the leaves can be steeped seven times or more.",
                 "Oolong de Anxi (Fujian), poco oxidado y enrollado, con aroma a orquídea; las "
                 "hojas admiten siete infusiones o más.",
                 "福建安溪清香型铁观音，颗粒紧结，兰花香馥郁，七泡有余香。",
                 "Слабоферментированный скрученный улун из уезда Аньси (Фуцзянь) с ароматом "
                 "орхидеи; листья выдерживают семь и более заварок."),
              _origin(country="CN", region="Anxi, Fujian", producer="Anxi Tea House",
                      production_method="semi-oxidised, hand-rolled", shelf_life_days=540,
                      storage_temp_c="10-25")),
        _food("GRC-TEA-PUER", tea, "Lancang Tea", 2490,
              _t("Ripe pu-erh tea cake, 357 g", "Torta de té pu-erh madurado, 357 g",
                 "云南普洱熟茶饼（357 克）", "Шу пуэр, блин 357 г"),
              _t("A traditional pressed cake of fermented dark tea from Menghai, Yunnan: "
                 "smooth, earthy and sweet, and it keeps improving with age.",
                 "Torta prensada tradicional de té oscuro fermentado de Menghai (Yunnan): suave, "
                 "terroso y dulce, y mejora con los años.",
                 "云南勐海传统紧压普洱熟茶饼，汤色红浓，口感醇滑甘甜，越陈越香。",
                 "Традиционный прессованный блин ферментированного тёмного чая из Мэнхая "
                 "(Юньнань): мягкий, землистый и сладковатый, с годами становится только лучше."),
              _origin(country="CN", region="Menghai, Yunnan", producer="Lancang Tea Factory",
                      production_method="pile-fermented, stone-pressed", shelf_life_days=3650,
                      storage_temp_c="10-25")),
        _food("GRC-TEA-JASMINE", tea, "Fuzhou Moli", 399,
              _t("Jasmine green tea, 25 tea bags", "Té verde al jazmín, 25 bolsitas",
                 "茉莉花茶（25 袋装）", "Зелёный чай с жасмином, 25 пакетиков"),
              _t("Green tea from Fuzhou scented the old way, layered with fresh jasmine "
                 "blossoms overnight several times over.",
                 "Té verde de Fuzhou aromatizado a la antigua, intercalado varias veces con "
                 "flores frescas de jazmín durante la noche.",
                 "福州传统窨制工艺，绿茶与新鲜茉莉花层层堆叠、多次窨花，花香鲜灵。",
                 "Зелёный чай из Фучжоу, ароматизированный по-старинному: его несколько раз "
                 "оставляют на ночь, пересыпая свежими цветками жасмина."),
              _origin(country="CN", region="Fuzhou, Fujian", producer="Fuzhou Moli Tea Co.",
                      production_method="scented with fresh jasmine flowers",
                      shelf_life_days=730, storage_temp_c="10-25")),
        _food("GRC-TEA-KRASNODAR", tea, "Sochi Tea Gardens", 349,
              _t("Krasnodar black tea, 100 g", "Té negro de Krasnodar, 100 g",
                 "俄罗斯克拉斯诺达尔红茶（100 克）", "Краснодарский чёрный чай, 100 г"),
              _t("Grown near Sochi on the world's northernmost tea plantations: a mild, bright "
                 "black tea with little bitterness.",
                 "Cultivado cerca de Sochi, en las plantaciones de té más septentrionales del "
                 "mundo: un té negro suave y luminoso, poco amargo.",
                 "产自索契附近——世界最北端的茶园。茶汤明亮，口感温和，苦涩味低。",
                 "Выращен под Сочи, на самых северных чайных плантациях в мире: мягкий яркий "
                 "чёрный чай почти без горечи."),
              _origin(country="RU", region="Sochi, Krasnodar Krai", producer="Sochi Tea Gardens",
                      harvest_method="hand-picked", shelf_life_days=730,
                      storage_temp_c="10-25")),
        _food("GRC-OLIVEOIL", pantry, "Almazara del Sur", 999,
              _t("Extra virgin olive oil", "Aceite de oliva virgen extra",
                 "西班牙特级初榨橄榄油", "Оливковое масло extra virgin"),
              _t("Cold-extracted from early-harvest Picual olives in Jaén: green, fruity and "
                 "peppery.",
                 "Extraído en frío de aceitunas picuales de cosecha temprana en Jaén: verde, "
                 "afrutado y picante.",
                 "选用西班牙哈恩早收的 Picual 橄榄冷榨，果香浓郁，带青草香与微辣口感。",
                 "Холодного отжима из оливок сорта пикуаль раннего сбора из Хаэна: зелёное, "
                 "фруктовое, с перечной ноткой."),
              _origin(country="ES", region="Jaén, Andalusia", producer="Almazara del Sur",
                      variety="Picual", production_method="cold-extracted, early harvest",
                      shelf_life_days=540, storage_temp_c="15-25"),
              variants=_axis("volume", ("500ML", "500 ml", -450), ("1L", "1 L", 0))),
        _food("GRC-SOYSAUCE", pantry, "Zhujiang Jiangyuan", 249,
              _t("Light soy sauce, 500 ml", "Salsa de soja clara, 500 ml", "生抽酱油（500 毫升）",
                 "Светлый соевый соус, 500 мл"),
              _t("Naturally brewed under the Guangdong sun for 180 days; the all-purpose "
                 "seasoning for stir-fries, dips and marinades.",
                 "Fermentada de forma natural al sol de Cantón durante 180 días; el condimento "
                 "para todo: salteados, salsas para mojar y marinadas.",
                 "广东传统阳光晒制，天然酿造 180 天，适合炒菜、蘸食和腌制。",
                 "Натурального брожения, 180 дней созревает под солнцем Гуандуна; универсальная "
                 "приправа для жарки, соусов и маринадов."),
              _origin(country="CN", region="Foshan, Guangdong", producer="Zhujiang Jiangyuan",
                      production_method="naturally brewed 180 days", shelf_life_days=720,
                      storage_temp_c="10-25")),
        _food("GRC-SUNOIL", pantry, "Kuban Zoloto", 199,
              _t("Refined sunflower oil, 1 L", "Aceite de girasol refinado, 1 L",
                 "精炼葵花籽油（1 升）", "Масло подсолнечное рафинированное, 1 л"),
              _t("Deodorised oil pressed from Kuban sunflower seeds: neutral in taste and good "
                 "for frying and baking.",
                 "Aceite desodorizado prensado con pipas de girasol de Kubán: de sabor neutro, "
                 "ideal para freír y hornear.",
                 "以库班葵花籽压榨、脱臭精炼，口味清淡，适合煎炸与烘焙。",
                 "Дезодорированное масло из кубанских семечек: нейтральный вкус, подходит для "
                 "жарки и выпечки."),
              _origin(country="RU", region="Krasnodar Krai", producer="Kuban Zoloto",
                      shelf_life_days=540, storage_temp_c="5-25")),
    ]


def _drinks_and_snacks() -> list[_Def]:
    drinks, snacks = "grocery/drinks", "grocery/snacks"
    return [
        _food("GRC-WATER", drinks, "Fuente Clara", 59,
              _t("Natural mineral water", "Agua mineral natural", "天然矿泉水",
                 "Природная минеральная вода"),
              _t("Low-mineral spring water bottled at source in the Sierra de Gredos, in "
                 "bottles made from 100% recycled PET.",
                 "Agua de mineralización débil envasada en el manantial de la sierra de Gredos, "
                 "en botellas 100 % de PET reciclado.",
                 "西班牙格雷多斯山脉水源地灌装的低矿化度天然矿泉水，瓶身采用 100% 再生 PET。",
                 "Слабоминерализованная родниковая вода, разлитая у источника в горах "
                 "Сьерра-де-Гредос, в бутылках из 100 % переработанного ПЭТ."),
              _origin(country="ES", region="Ávila", producer="Manantial Fuente Clara",
                      shelf_life_days=730, storage_temp_c="5-25"),
              variants=_cross(_axis("type", ("STILL", "still", 0), ("SPARK", "sparkling", 20)),
                              _axis("volume", ("500ML", "500 ml", 0), ("1L5", "1.5 L", 30))),
              extra_gtin="gtin8"),
        _food("GRC-OJ", drinks, "Huerta de Valencia", 299,
              _t("Freshly squeezed orange juice, 1 L", "Zumo de naranja recién exprimido, 1 L",
                 "鲜榨橙汁（1 升）", "Апельсиновый сок прямого отжима, 1 л"),
              _t("Not from concentrate: Valencia oranges squeezed and bottled within hours, "
                 "with nothing added. Keep refrigerated.",
                 "No procede de concentrado: naranjas valencianas exprimidas y embotelladas en "
                 "pocas horas, sin nada añadido. Consérvalo en frío.",
                 "非浓缩还原，瓦伦西亚橙子榨汁后数小时内灌装，零添加。请冷藏保存。",
                 "Не восстановленный: валенсийские апельсины отжимают и разливают за несколько "
                 "часов, без добавок. Хранить в холодильнике."),
              _origin(country="ES", region="Valencia", producer="Huerta de Valencia S.C.",
                      shelf_life_days=14, storage_temp_c="0-4")),
        _food("GRC-COCONUT", drinks, "Samui Gold", 199,
              _t("Coconut water, 330 ml", "Agua de coco, 330 ml", "椰子水（330 毫升）",
                 "Кокосовая вода, 330 мл"),
              _t("The pure water of young Nam Hom coconuts from Ratchaburi, Thailand: "
                 "naturally sweet, with no added sugar.",
                 "Agua pura de cocos jóvenes Nam Hom de Ratchaburi (Tailandia): dulce por "
                 "naturaleza, sin azúcar añadido.",
                 "泰国叻丕府香水椰青的纯椰子水，天然清甜，不添加糖。",
                 "Чистая вода молодых кокосов сорта нам хом из провинции Ратчабури (Таиланд): "
                 "натурально сладкая, без добавленного сахара."),
              _origin(country="TH", region="Ratchaburi", producer="Samui Gold Co.",
                      variety="Nam Hom", shelf_life_days=365, storage_temp_c="5-25"),
              extra_gtin="gtin8"),
        _food("GRC-KVASS", drinks, "Staraya Melnitsa", 179,
              _t("Bread kvass, 1.5 L", "Kvas de pan, 1,5 L", "俄罗斯格瓦斯（1.5 升）",
                 "Квас хлебный, 1,5 л"),
              _t("The traditional Russian drink, naturally fermented from rye malt and rye "
                 "bread: lightly sweet, tangy and refreshing.",
                 "La bebida tradicional rusa, fermentada de forma natural con malta y pan de "
                 "centeno: ligeramente dulce, ácida y refrescante.",
                 "俄罗斯传统饮品，以黑麦芽和黑麦面包自然发酵而成，微甜微酸，清爽解渴。",
                 "Традиционный русский напиток естественного брожения из ржаного солода и "
                 "ржаного хлеба: в меру сладкий, с кислинкой, освежающий."),
              _origin(country="RU", region="Moscow Oblast", producer="Staraya Melnitsa",
                      production_method="natural fermentation", shelf_life_days=60,
                      storage_temp_c="2-6")),
        _food("GRC-OOLONG-DRINK", drinks, "Qingquan", 149,
              _t("Unsweetened oolong tea drink, 500 ml", "Bebida de té oolong sin azúcar, 500 ml",
                 "无糖乌龙茶饮料（500 毫升）", "Холодный чай улун без сахара, 500 мл"),
              _t("Brewed from Fujian oolong leaves, with zero sugar and zero calories: a clean, "
                 "roasty taste that goes with any meal.",
                 "Elaborada con hojas de oolong de Fujian, sin azúcar y sin calorías: sabor "
                 "limpio y tostado que acompaña cualquier comida.",
                 "福建乌龙茶叶萃取，0 糖 0 卡，茶香清爽带焙火香，佐餐百搭。",
                 "Заварен из листьев фуцзяньского улуна: ноль сахара и ноль калорий, чистый "
                 "обжаренный вкус подходит к любой еде."),
              _origin(country="CN", region="Xiamen, Fujian", producer="Qingquan Beverages",
                      shelf_life_days=365, storage_temp_c="5-25"),
              adjust={"CNY": 0.75}, extra_gtin="gtin8"),
        _food("GRC-COLDBREW", drinks, "Cascade Roasters", 249,
              _t("Cold brew coffee, 250 ml", "Café cold brew, 250 ml", "冷萃咖啡（250 毫升）",
                 "Кофе колд брю, 250 мл"),
              _t("Colombian and Ethiopian beans steeped in cold water for 18 hours, for a "
                 "smooth coffee with low acidity. Unsweetened; serve over ice.",
                 "Granos de Colombia y Etiopía infusionados en agua fría durante 18 horas: un "
                 "café suave y poco ácido. Sin azúcar; sírvelo con hielo.",
                 "哥伦比亚与埃塞俄比亚咖啡豆冷水浸泡 18 小时，口感顺滑、酸度低。无糖，加冰饮用"
                 "更佳。",
                 "Зёрна из Колумбии и Эфиопии настаиваются в холодной воде 18 часов: мягкий кофе "
                 "с низкой кислотностью. Без сахара; подавайте со льдом."),
              _origin(country="US", region="Portland, Oregon", producer="Cascade Roasters",
                      bean_origin="CO, ET", shelf_life_days=90, storage_temp_c="0-4")),
        _food("GRC-COLA", drinks, "Plaza", 99,
              _t("Cola, 330 ml can", "Refresco de cola, lata de 330 ml", "可乐（330 毫升罐装）",
                 "Кола, банка 330 мл"),
              _t("Our own cola, made with cane sugar and natural flavourings; also in a "
                 "zero-sugar version.",
                 "Cola de nuestra marca, elaborada con azúcar de caña y aromas naturales; "
                 "también en versión sin azúcar.",
                 "本店自有品牌可乐，使用蔗糖与天然香料制成，另有零糖版本。",
                 "Кола нашей марки на тростниковом сахаре с натуральными ароматизаторами; есть "
                 "и версия без сахара."),
              _origin(country="ES", region="Barcelona",
                      producer="Embotelladora Mediterránea for Plaza", shelf_life_days=270,
                      storage_temp_c="5-25"),
              variants=_axis("type", ("REG", "regular", 0), ("ZERO", "zero sugar", 0)),
              extra_gtin="gtin8"),
        _food("GRC-CHIPS", snacks, "Crujiente", 199,
              _t("Potato chips, 150 g", "Patatas fritas, 150 g", "薯片（150 克）",
                 "Картофельные чипсы, 150 г"),
              _t("Thick-cut potatoes fried in sunflower oil in small batches for extra crunch.",
                 "Patatas cortadas gruesas y fritas en aceite de girasol en pequeñas tandas para "
                 "que crujan más.",
                 "厚切土豆片，以葵花籽油小批量慢炸，格外酥脆。",
                 "Толсто нарезанный картофель, обжаренный небольшими партиями в подсолнечном "
                 "масле, — особенно хрустящий."),
              _origin(country="ES", region="Navarra", producer="Crujiente S.A.",
                      shelf_life_days=180, storage_temp_c="10-25"),
              variants=_axis("flavour", ("SALT", "sea salt", 0), ("PAPR", "smoked paprika", 0),
                             ("CUKE", "cucumber", 0), ("SCO", "sour cream and onion", 0)),
              extra_gtin="gtin8"),
        _food("GRC-SEAWEED", snacks, "Haiyun", 249,
              _t("Roasted seaweed snack, 4 × 5 g", "Snack de algas tostadas, 4 × 5 g",
                 "烤海苔（4 × 5 克）", "Хрустящие листы нори, 4 × 5 г"),
              _t("Thin sheets of laver from the Fujian coast, roasted with sesame oil and a "
                 "pinch of sea salt.",
                 "Láminas finas de alga nori de la costa de Fujian, tostadas con aceite de "
                 "sésamo y una pizca de sal marina.",
                 "福建霞浦紫菜，薄脆香酥，以芝麻油烘烤，略加海盐调味。",
                 "Тонкие листы нори с побережья Фуцзяни, обжаренные с кунжутным маслом и "
                 "щепоткой морской соли."),
              _origin(country="CN", region="Xiapu, Fujian", producer="Haiyun Foods",
                      shelf_life_days=365, storage_temp_c="10-25")),
        _food("GRC-LATIAO", snacks, "Pingjiang Weidao", 199,
              _t("Latiao spicy gluten strips, 260 g", "Latiao, tiras picantes de gluten, 260 g",
                 "麻辣辣条（260 克）", "Латяо — острые пшеничные палочки, 260 г"),
              _t("China's favourite childhood snack from Pingjiang, Hunan: chewy wheat-gluten "
                 "strips in chilli oil, sweet, hot and numbing.",
                 "El tentempié infantil favorito de China, de Pingjiang (Hunan): tiras "
                 "masticables de gluten de trigo en aceite de chile, dulces, picantes y con el "
                 "cosquilleo de la pimienta de Sichuan.",
                 "湖南平江出品的童年经典零食，面筋条浸润红油，香甜麻辣，越嚼越香。",
                 "Любимая с детства закуска китайцев из Пинцзяна (Хунань): тягучие полоски "
                 "пшеничной клейковины в масле чили — сладкие, острые, с покалыванием "
                 "сычуаньского перца."),
              _origin(country="CN", region="Pingjiang, Hunan", producer="Pingjiang Weidao Foods",
                      shelf_life_days=180, storage_temp_c="10-25")),
        _food("GRC-SEMECHKI", snacks, "Kuban Zoloto", 149,
              _t("Roasted sunflower seeds, 300 g", "Pipas de girasol tostadas, 300 g",
                 "俄罗斯烤葵花籽（300 克）", "Семечки подсолнечника жареные, 300 г"),
              _t("Large black seeds from the Kuban, roasted and lightly salted: the classic "
                 "Russian snack to crack on a park bench.",
                 "Pipas negras grandes de Kubán, tostadas y ligeramente saladas: el clásico "
                 "aperitivo ruso para comer en un banco del parque.",
                 "产自俄罗斯库班的大颗黑瓜子，烘烤后微咸，是俄罗斯人在公园长椅上闲嗑的经典零食。",
                 "Крупные чёрные семечки с Кубани, жареные и слегка подсоленные, — классика для "
                 "посиделок на лавочке."),
              _origin(country="RU", region="Krasnodar Krai", producer="Kuban Zoloto",
                      shelf_life_days=270, storage_temp_c="10-25")),
        _food("GRC-CHOC70", snacks, "Chocolaterie Alpina", 249,
              _t("Dark chocolate 70%, 100 g", "Chocolate negro 70 %, 100 g",
                 "70% 黑巧克力（100 克）", "Горький шоколад 70 %, 100 г"),
              _t("Single-origin Arriba cocoa from Ecuador, conched for 72 hours in "
                 "Switzerland: fruity, with a long, smooth finish.",
                 "Cacao Arriba de origen único de Ecuador, conchado durante 72 horas en Suiza: "
                 "afrutado y de final largo y sedoso.",
                 "采用厄瓜多尔单一产地 Arriba 可可豆，在瑞士精磨 72 小时，果香浓郁，余味绵长"
                 "顺滑。",
                 "Эквадорское какао арриба одного происхождения, 72 часа коншированное в "
                 "Швейцарии: фруктовый вкус и долгое мягкое послевкусие."),
              _origin(country="CH", region="Bern", producer="Chocolaterie Alpina",
                      cocoa_origin="Ecuador (Arriba Nacional)", shelf_life_days=540,
                      storage_temp_c="15-18"),
              extra_gtin="gtin8"),
        _food("GRC-NUTS", snacks, "Frutos Secos del Camp", 399,
              _t("Roasted mixed nuts, unsalted, 200 g", "Frutos secos tostados sin sal, 200 g",
                 "每日混合坚果（无盐，200 克）", "Ассорти жареных орехов без соли, 200 г"),
              _t("Almonds from Spain, cashews from Vietnam, walnuts from Chile and hazelnuts "
                 "from Turkey, dry-roasted with no oil or salt.",
                 "Almendras de España, anacardos de Vietnam, nueces de Chile y avellanas de "
                 "Turquía, tostados sin aceite ni sal.",
                 "西班牙巴旦木、越南腰果、智利核桃与土耳其榛子，不加油盐干烘。",
                 "Миндаль из Испании, кешью из Вьетнама, грецкие орехи из Чили и фундук из "
                 "Турции, обжаренные без масла и соли."),
              _origin(country="ES", region="Reus, Catalonia", producer="Frutos Secos del Camp",
                      ingredients_origin="ES, VN, CL, TR", shelf_life_days=270,
                      storage_temp_c="10-25")),
        _food("GRC-TURRON", snacks, "El Artesano de Jijona", 499,
              _t("Turrón almond nougat, 250 g", "Turrón, 250 g", "西班牙杏仁牛轧糖（250 克）",
                 "Туррон — миндальная нуга, 250 г"),
              _t("The Spanish Christmas sweet, made in Jijona from Marcona almonds and honey: "
                 "crunchy Alicante style or soft Jijona style.",
                 "El dulce navideño por excelencia, elaborado en Jijona con almendra marcona y "
                 "miel: duro de Alicante o blando de Jijona.",
                 "西班牙圣诞传统甜点，在希霍纳以马尔科纳杏仁和蜂蜜制成：硬质阿利坎特风味或软质"
                 "希霍纳风味。",
                 "Испанская рождественская сладость из Хихоны на миндале маркона и мёде: "
                 "твёрдый туррон по-аликантски или мягкий по-хихонски."),
              _origin(country="ES", region="Jijona, Alicante", producer="El Artesano de Jijona",
                      certification="PGI Jijona y Turrón de Alicante", shelf_life_days=365,
                      storage_temp_c="10-25"),
              variants=_axis("style", ("DURO", "hard (Alicante)", 0),
                             ("BLANDO", "soft (Jijona)", 0))),
    ]


def _definitions() -> list[_Def]:
    return (_electronics() + _fresh_fish() + _seafood() + _meat() + _fruit_and_vegetables()
            + _chilled() + _packaged() + _drinks_and_snacks())


_TAX_CLASS = {"electronics": "standard", "grocery": "reduced"}


def demo_catalogue() -> list[ProductSpec]:
    """The demo chain's ~320 SKUs, the same on every call (fresh objects each time)."""
    gtins = _Gtins()
    products = []
    for d in _definitions():
        country = d.origin.get("country", "")
        options = d.variants or (("", {}, 0),)
        skus = []
        for suffix, variant, delta in options:
            codes = [gtins.for_brand(d.brand)]
            if d.extra_gtin == "gtin13":  # a second retail box (e.g. the Chinese-market one)
                codes.append(gtins.for_brand(d.brand))
            elif d.extra_gtin == "gtin8":  # short code printed on small packs
                codes.append(gtins.take(_GTIN8_PREFIX[country], 8))
            skus.append(SkuSpec(
                code=f"{d.code}-{suffix}" if suffix else d.code,
                gtins=tuple(codes),
                sold_by=d.sold_by,
                tax_class=_TAX_CLASS[d.segment],
                variant=dict(variant),
                prices=market_prices(d.eur + delta, d.segment, country, d.adjust),
            ))
        products.append(ProductSpec(
            code=d.code, category=d.category, brand=d.brand, names=dict(d.names),
            descriptions=dict(d.descriptions), origin=dict(d.origin),
            image_url=f"{IMAGE_BASE}{d.code}.jpg", skus=tuple(skus),
        ))
    return products


# --------------------------------------------------------------------------------------------
# Large synthetic catalogue for benchmarks.

_GOODS_NAME = _t("{brand} {model} {noun}", "{noun} {brand} {model}", "{brand} {model} {noun}",
                 "{noun} {brand} {model}")
_GOODS_DESC = _t("{brand} {model} {noun}: a dependable choice for every day.",
                 "{noun} {brand} {model}: una opción fiable para el día a día.",
                 "{brand} {model} {noun}，日常使用的可靠之选。",
                 "{noun} {brand} {model} — надёжный выбор на каждый день.")
_FOOD_NAME = _t("{brand} {noun}", "{noun} {brand}", "{brand}{noun}", "{noun} {brand}")
_FOOD_DESC = _t("{brand} {noun}: fresh and full of flavour, as always.",
                "{noun} {brand}: frescura y sabor de siempre.",
                "{brand}{noun}，新鲜美味，品质如一。",
                "{noun} {brand} — свежесть и вкус на каждый день.")


@dataclass(frozen=True)
class _Kind:
    segment: str
    category: str
    sold_by: str
    noun: dict[str, str]  # English lower case; other languages as they start a name
    prices: tuple[int, ...]  # euro cents
    axis: tuple[str, tuple[str, ...]] | None
    countries: tuple[str, ...]
    shelf_life_days: int = 0
    storage_temp_c: str = ""


_COLOUR_AXIS = ("color", ("black", "white", "blue", "green", "grey"))
_BULK_KINDS = (
    _Kind("electronics", "electronics/phones", "unit",
          _t("smartphone", "Smartphone", "智能手机", "Смартфон"),
          (12900, 19900, 29900, 44900, 69900), ("storage", ("128 GB", "256 GB", "512 GB")),
          ("CN",)),
    _Kind("electronics", "electronics/tablets", "unit",
          _t("tablet", "Tableta", "平板电脑", "Планшет"), (14900, 24900, 39900),
          ("storage", ("64 GB", "128 GB", "256 GB")), ("CN",)),
    _Kind("electronics", "electronics/laptops", "unit",
          _t("laptop", "Portátil", "笔记本电脑", "Ноутбук"), (49900, 79900, 119900),
          ("memory", ("8 GB", "16 GB", "32 GB")), ("CN",)),
    _Kind("electronics", "electronics/audio/earbuds", "unit",
          _t("wireless earbuds", "Auriculares inalámbricos", "无线耳机", "Беспроводные наушники"),
          (1999, 3999, 7999), _COLOUR_AXIS, ("CN", "VN")),
    _Kind("electronics", "electronics/smart-watches", "unit",
          _t("smartwatch", "Reloj inteligente", "智能手表", "Умные часы"), (4999, 9900, 19900),
          _COLOUR_AXIS, ("CN",)),
    _Kind("electronics", "electronics/chargers", "unit",
          _t("USB-C charger", "Cargador USB-C", "USB-C 充电器", "Зарядное устройство USB-C"),
          (999, 1999, 3499), ("plug", ("EU", "UK", "US", "CN")), ("CN",)),
    _Kind("electronics", "electronics/cables", "unit",
          _t("USB-C cable", "Cable USB-C", "USB-C 数据线", "Кабель USB-C"), (499, 899, 1499),
          ("length", ("0.5 m", "1 m", "2 m")), ("CN", "VN")),
    _Kind("electronics", "electronics/power-banks", "unit",
          _t("power bank", "Batería externa", "充电宝", "Внешний аккумулятор"), (1999, 2999),
          _COLOUR_AXIS, ("CN",)),
    _Kind("electronics", "electronics/keyboards", "unit",
          _t("keyboard", "Teclado", "键盘", "Клавиатура"), (2499, 4999, 8999),
          ("layout", ("US", "ES", "RU", "UK")), ("CN",)),
    _Kind("electronics", "electronics/mice", "unit",
          _t("wireless mouse", "Ratón inalámbrico", "无线鼠标", "Беспроводная мышь"),
          (999, 1999, 3999), _COLOUR_AXIS, ("CN",)),
    _Kind("electronics", "electronics/tvs", "unit",
          _t("4K TV", "Televisor 4K", "4K 电视", "Телевизор 4K"), (29900, 49900, 79900),
          ("size", ("43 in", "50 in", "55 in", "65 in")), ("CN", "PL")),
    _Kind("grocery", "grocery/drinks", "unit",
          _t("sparkling water", "Agua con gas", "气泡水", "Газированная вода"), (59, 89, 129),
          ("volume", ("330 ml", "500 ml", "1.5 L")), ("ES", "FR", "DE"), 365, "5-25"),
    _Kind("grocery", "grocery/drinks", "unit",
          _t("fruit juice", "Zumo de fruta", "果汁", "Фруктовый сок"), (149, 249, 349),
          ("flavour", ("orange", "apple", "peach", "mango")), ("ES", "CN", "RU"), 180, "5-25"),
    _Kind("grocery", "grocery/snacks", "unit",
          _t("crackers", "Galletas saladas", "苏打饼干", "Крекеры"), (129, 199, 299),
          ("flavour", ("original", "sesame", "seaweed")), ("CN", "ES", "RU"), 270, "10-25"),
    _Kind("grocery", "grocery/snacks", "unit",
          _t("chocolate bar", "Tableta de chocolate", "巧克力", "Шоколад"), (99, 199, 299),
          ("flavour", ("milk", "dark", "hazelnut")), ("CH", "BE", "RU"), 365, "15-18"),
    _Kind("grocery", "grocery/packaged/noodles", "unit",
          _t("noodles", "Fideos", "面条", "Лапша"), (99, 199, 299), None, ("CN", "IT"), 365,
          "10-25"),
    _Kind("grocery", "grocery/packaged/tea", "unit",
          _t("green tea", "Té verde", "绿茶", "Зелёный чай"), (299, 599, 1290), None, ("CN",),
          730, "10-25"),
    _Kind("grocery", "grocery/dairy", "unit",
          _t("yoghurt", "Yogur", "酸奶", "Йогурт"), (79, 129, 199),
          ("flavour", ("plain", "strawberry", "blueberry", "honey")), ("ES", "DE", "RU"),
          21, "2-6"),
    _Kind("grocery", "grocery/frozen", "unit",
          _t("dumplings", "Empanadillas", "水饺", "Пельмени"), (299, 449, 599),
          ("filling", ("pork", "beef", "vegetable")), ("CN", "RU"), 365, "-18"),
    _Kind("grocery", "grocery/fresh-fish", "weight",
          _t("fish fillet", "Filete de pescado", "鱼柳", "Рыбное филе"), (990, 1490, 2490),
          None, ("NO", "ES", "CN"), 3, "0-2"),
    _Kind("grocery", "grocery/meat", "weight",
          _t("pork loin", "Lomo de cerdo", "猪里脊", "Свиная корейка"), (690, 890, 1190),
          None, ("ES", "BR"), 5, "0-4"),
    _Kind("grocery", "grocery/fruit", "weight",
          _t("apples", "Manzanas", "苹果", "Яблоки"), (149, 249, 349), None, ("CN", "ES", "RU"),
          30, "0-4"),
    _Kind("grocery", "grocery/vegetables", "weight",
          _t("tomatoes", "Tomates", "番茄", "Томаты"), (199, 299, 399), None, ("ES", "CN", "RU"),
          7, "10-13"),
)
_BRAND_HEADS = ("Ar", "Bel", "Cor", "Dan", "El", "Fen", "Gal", "Hor", "Is", "Jun", "Kal", "Lor",
                "Mar", "Nor", "Ol", "Pan", "Quin", "Ros", "Sol", "Tor", "Ul", "Val", "Wen",
                "Xan", "Yor", "Zan", "Bri", "Cas", "Dor", "Fal", "Gri", "Lum", "Mon", "Nev",
                "Or", "Pra", "Sil", "Tal", "Ver", "Zel")
_BRAND_TAILS = ("a", "o", "ex", "ia", "on", "ar", "is", "um", "ix", "el", "ora", "ent", "ana",
                "ino", "eta", "ova", "ux", "ay", "ion", "ero", "ama", "ida", "ost", "ek", "ira",
                "and", "ello", "ita", "ada", "esse", "oni", "ary", "ette", "ivo", "ula", "yn",
                "ard", "ika", "elle", "ano", "ur", "ace", "ine", "ato", "ens", "ola", "ez",
                "ori", "une", "ata")
_BULK_BRANDS = tuple(head + tail for head in _BRAND_HEADS for tail in _BRAND_TAILS)  # 2,000
_MODEL_LETTERS = "ABCDEFGHKLMNPRSTVXZ"


def large_catalogue(n_skus: int, seed: int = 1) -> Iterator[ProductSpec]:
    """Stream synthetic products holding exactly ``n_skus`` SKUs, deterministically per seed.

    Every SKU has a valid GTIN-13 under GS1 prefix 890, which the demo never uses, and prices
    in every chain currency; product and SKU codes start with ``GEN<seed>-``.
    """
    if n_skus < 0:
        raise ValueError("n_skus must be >= 0")
    rng = random.Random(seed)
    kinds = _BULK_KINDS
    templates = []
    for kind in kinds:
        if kind.segment == "electronics":
            name_t, desc_t = _GOODS_NAME, _GOODS_DESC
        else:
            name_t, desc_t = _FOOD_NAME, _FOOD_DESC
        templates.append((
            {loc: name_t[loc].replace("{noun}", kind.noun[loc]) for loc in LOCALES},
            {loc: desc_t[loc].replace("{noun}", kind.noun[loc]) for loc in LOCALES},
        ))
    price_cache: dict[tuple[int, int, str], dict[str, int]] = {}
    next_item = [1] * len(_BULK_BRANDS)
    prefix = f"GEN{seed}-"
    tax = {"electronics": "standard", "grocery": "reduced"}
    made = 0
    product_no = 0
    while made < n_skus:
        product_no += 1
        k = rng.randrange(len(kinds))
        kind = kinds[k]
        b = rng.randrange(len(_BULK_BRANDS))
        brand = _BULK_BRANDS[b]
        model = f"{rng.choice(_MODEL_LETTERS)}{rng.randrange(1, 100)}"
        country = kind.countries[rng.randrange(len(kind.countries))]
        eur = kind.prices[rng.randrange(len(kind.prices))]
        key = (k, eur, country)
        prices = price_cache.get(key)
        if prices is None:
            prices = price_cache[key] = market_prices(eur, kind.segment, country)
        if kind.axis is None:
            values: tuple[str, ...] = ("",)
        else:
            all_values = kind.axis[1]
            values = all_values[:rng.randrange(1, len(all_values) + 1)]
        values = values[:n_skus - made]
        skus = []
        for value in values:
            item = next_item[b]
            if item > 99_999:
                raise ValueError("large_catalogue ran out of GTINs for a brand; lower n_skus")
            next_item[b] = item + 1
            made += 1
            skus.append(SkuSpec(
                code=f"{prefix}S{made:08d}",
                gtins=(with_check_digit(f"{LARGE_GS1_PREFIX}{b:04d}{item:05d}"),),
                sold_by=kind.sold_by,
                tax_class=tax[kind.segment],
                variant={kind.axis[0]: value} if kind.axis else {},
                prices=dict(prices),
            ))
        code = f"{prefix}P{product_no:07d}"
        names_t, descs_t = templates[k]
        if kind.segment == "electronics":
            origin = {"country": country, "warranty_months": "24"}
        else:
            origin = {"country": country, "producer": brand,
                      "shelf_life_days": str(kind.shelf_life_days),
                      "storage_temp_c": kind.storage_temp_c}
        yield ProductSpec(
            code=code, category=kind.category, brand=brand,
            names={loc: t.format(brand=brand, model=model) for loc, t in names_t.items()},
            descriptions={loc: t.format(brand=brand, model=model) for loc, t in descs_t.items()},
            origin=origin, image_url=f"{IMAGE_BASE}{code}.jpg", skus=tuple(skus),
        )
