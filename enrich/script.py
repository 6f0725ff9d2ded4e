"""Which script a title or summary is written in: Simplified or Traditional Chinese, Japanese,
Korean or a Latin alphabet.

Drafts in the wrong script are a real failure (a model answering in Traditional characters, or in
English, for a Simplified-Chinese site), and a wrong script still overlaps the approved text in
n-grams, so it needs its own check. A small table of common characters whose Simplified and
Traditional forms differ decides between the two; stdlib only, no OpenCC tables to load.
"""

from __future__ import annotations

import re

# Pairs of (Simplified, Traditional) characters, each unambiguous: the Simplified form is not used in
# Traditional text and the other way round (characters such as 后, 里, 发/髮, 干, 面 that both scripts
# write are left out). Checked against OpenCC's s2t/t2s tables when the table was written.
_PAIRS = (
    "这這个個们們来來时時为為说說国國会會对對发發经經过過还還进進动動种種关關开開长長问問现現实實学學样樣点點么麼与與产產业業从從东東两兩严嚴丧喪临臨丽麗举舉义義乐樂习習书書买買乱亂争爭亏虧亚亞价價众眾优優"
    "传傳伤傷体體侧側债債倾傾储儲儿兒兴興兰蘭养養兽獸军軍农農冯馮决決况況净淨凤鳳击擊创創删刪则則刚剛别別剧劇办辦务務劳勞势勢区區医醫华華单單卖賣卫衛历歷压壓厅廳县縣参參双雙变變叙敘号號吗嗎听聽员員响響团團"
    "园園围圍图圖圣聖场場坏壞块塊坚堅报報墙牆声聲处處备備头頭夺奪妇婦妈媽宁寧宝寶宪憲导導寿壽将將尔爾尘塵层層属屬岁歲岛島币幣师師带帶帮幫广廣庆慶应應库庫废廢张張弹彈归歸录錄彻徹径徑忆憶态態总總恋戀恶惡惊驚"
    "战戰戏戲执執扩擴扫掃扬揚扰擾护護担擔拥擁择擇挥揮损損换換摄攝数數断斷无無旧舊显顯晋晉权權条條杨楊构構极極标標树樹桥橋检檢楼樓欢歡气氣汇匯汉漢沟溝没沒沪滬泪淚泽澤洁潔浅淺济濟测測湾灣满滿灵靈灾災热熱爱愛"
    "爷爺牵牽状狀犹猶独獨猎獵环環电電画畫畅暢疗療监監盘盤盖蓋码碼确確础礎礼禮离離积積称稱稳穩穷窮竞競笔筆简簡类類级級纪紀约約纯純纸紙线線练練组組细細织織终終结結绝絕统統继繼续續维維综綜绿綠网網罗羅罚罰联聯"
    "职職肃肅脑腦舆輿艺藝节節药藥获獲营營蓝藍虑慮虽雖补補装裝观觀规規视視览覽觉覺计計认認讨討让讓训訓议議讯訊记記讲講许許论論设設访訪证證评評识識诉訴词詞译譯试試话話该該详詳语語误誤请請诸諸读讀课課谁誰调調"
    "谈談谋謀谓謂谢謝贝貝负負财財责責败敗货貨质質贩販购購贯貫费費资資赛賽赵趙趋趨跃躍践踐车車转轉轮輪软軟轻輕载載较較辑輯输輸辩辯边邊达達迁遷运運远遠违違连連迟遲选選递遞邮郵邻鄰郑鄭释釋钟鐘钢鋼钱錢铁鐵银銀"
    "链鏈销銷锁鎖错錯镜鏡门門闭閉间間闻聞阅閱队隊阳陽阴陰阶階际際陆陸陈陳险險随隨隐隱难難雾霧静靜韩韓项項顺順须須顾顧预預领領频頻题題额額风風飞飛饭飯马馬驱驅验驗鱼魚鸟鳥鸡雞麦麥齐齊龙龍龄齡亿億仅僅伟偉"
)
SIMPLIFIED_ONLY = frozenset(_PAIRS[0::2])
TRADITIONAL_ONLY = frozenset(_PAIRS[1::2]) | frozenset("爲衆鍾")

SCRIPTS = ("zh-Hans", "zh-Hant", "zh", "ja", "ko", "latin", "other", "empty")

_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]+")
# languages written in a Latin alphabet: the detector checks the script, it cannot tell them apart
_LATIN_LANGUAGES = frozenset(
    "af ca cs cy da de en es et eu fi fr ga gl hr hu id is it lt lv ms nb nl nn no pl pt ro sk sl sq sv sw tl tr vi".split()  # noqa: SIM905
)
_TRADITIONAL_REGIONS = ("tw", "hk", "mo")
_SIMPLIFIED_REGIONS = ("cn", "sg", "my")


def _is_han(ch: str) -> bool:
    code = ord(ch)
    return 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF or 0x20000 <= code <= 0x2FFFF


def _is_kana(ch: str) -> bool:
    return 0x3040 <= ord(ch) <= 0x30FF


def _is_hangul(ch: str) -> bool:
    code = ord(ch)
    return 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F


def detect_script(text: str) -> str:
    """One of SCRIPTS. "zh" is Chinese whose characters are the same in both scripts.

    A Chinese character weighs as much as a Latin word, so a Chinese title naming `OpenAI` and
    `GPT-5` is Chinese while an English summary quoting one Chinese name stays Latin.
    """
    if not text.strip():
        return "empty"
    han = kana = hangul = 0
    simplified = traditional = 0
    for ch in text:
        if _is_han(ch):
            han += 1
            simplified += ch in SIMPLIFIED_ONLY
            traditional += ch in TRADITIONAL_ONLY
        elif _is_kana(ch):
            kana += 1
        elif _is_hangul(ch):
            hangul += 1
    words = len(_LATIN_WORD.findall(text))
    if kana >= 2 and kana * 10 >= han + kana:
        return "ja"
    if hangul and hangul >= han and hangul >= words:
        return "ko"
    if han and han >= words:
        if traditional > simplified:
            return "zh-Hant"
        return "zh-Hans" if simplified > traditional else "zh"
    return "latin" if words else "other"


def expected_script(language: str) -> str | None:
    """The script a BCP-47 language tag asks for, or None when this detector cannot judge it."""
    tag = language.strip().lower().replace("_", "-")
    parts = tag.split("-")
    if parts[0] == "zh":
        if "hant" in parts or any(p in _TRADITIONAL_REGIONS for p in parts[1:]):
            return "zh-Hant"
        if "hans" in parts or any(p in _SIMPLIFIED_REGIONS for p in parts[1:]):
            return "zh-Hans"
        return "zh"
    if parts[0] in ("ja", "ko"):
        return parts[0]
    return "latin" if parts[0] in _LATIN_LANGUAGES else None


def script_matches(expected: str, detected: str) -> bool:
    """Whether text detected as `detected` is right for a site that asks for `expected`.

    Chinese with no script-specific character ("zh") is right for either script.
    """
    if expected == "zh":
        return detected in ("zh", "zh-Hans", "zh-Hant")
    if expected in ("zh-Hans", "zh-Hant"):
        return detected in (expected, "zh")
    return detected == expected


def language_ok(language: str, text: str) -> bool | None:
    """Whether `text` is in the script of `language`; None when the language is not one this can judge."""
    expected = expected_script(language)
    return None if expected is None else script_matches(expected, detect_script(text))
