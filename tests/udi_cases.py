"""Malformed UDIs and what refusing them must say: the rule broken and words of the message. The parser's unit tests
(tests/unit/test_udi.py, which also gives the sources and the values of the HIBC characters) refuse every one; the
scanning API's tests answer a few of them as 422 problems."""

GS = "\x1d"

# GS1: (code, rule, words of the message)
MALFORMED_GS1 = [
    # GS1 example GTIN 09506000134352 with its check digit changed from 2 to 3
    ("01095060001343531725123110ABC123", "gs1-check-digit", "GTIN check digit is 3, expected 2"),
    ("(01)09506000134353(10)A", "gs1-check-digit", "GTIN check digit is 3, expected 2"),
    ("]d20110012345678901", "gs1-check-digit", "GTIN check digit is 1, expected 2"),
    ("0109506000134352172512311012345678901234567890X", "gs1-length", "lot (10) is 21 characters; at most 20"),
    ("(01)09506000134352(10)123456789012345678901", "gs1-length", "lot (10) is 21 characters; at most 20"),
    (f"010950600013435221{'S' * 21}{GS}10L", "gs1-length", "serial (21) is 21 characters; at most 20"),
    ("(01)09506000134352(99x)12", "gs1-unknown-ai", "unknown application identifier (99x)"),
    ("(01)09506000134352(23)12", "gs1-unknown-ai", "unknown application identifier (23)"),
    (f"0109506000134352{GS}2312", "gs1-unknown-ai",
     "unknown application identifier at character 18: no GS1 AI begins '2312'"),
    ("01095060001343521725", "truncated", "truncated: expiry (17) needs 6 digits, got 2"),
    ("(01)09506000134352(17)2512", "truncated", "truncated: expiry (17) needs 6 digits, got 4"),
    (f"0109506000134352172512{GS}10L", "truncated", "truncated: expiry (17) needs 6 digits, got 4"),
    ("]d2010950600013435", "truncated", "truncated: GTIN (01) needs 14 digits, got 13"),
    ("(01)09506000134352(17)25123100", "gs1-length", "expiry (17) has 8 digits; it has exactly 6"),
    ("010950600013435217251301", "gs1-date", "expiry (17) 251301 is not a date"),
    ("010950600013435217250230", "gs1-date", "expiry (17) 250230 is not a date"),
    (f"0109506000134352{GS}10", "truncated", "lot (10) is empty"),
    ("0109506000134352\x1d10A B", "gs1-format", "lot (10) 'A B' does not match the GS1 format N2+X..20"),
    ("]d21725123110L1", "gs1-no-gtin", "no GTIN (01)"),
    ("(01)09506000134352(10)A(10)B", "gs1-duplicate-ai", "lot (10) appears twice with different values"),
    ("(01)09506000134352)(10)A", "gs1-hri", "malformed human-readable form at character 19"),
    ("(01)09506000134352 1", "gs1-length", "GTIN (01) has 15 digits; it has exactly 14"),
    ("]C00109506000134352", "symbology-identifier", "symbology identifier ]C0 is not a GS1 one"),
    ("]d2+A123BJC5D6E71G", "symbology-identifier", "symbology identifier ]d2 announces GS1 data"),
    # an element string the scanner garbled in the middle: a stray character where an AI should start
    ("0109506000134352X17251231", "gs1-unknown-ai", "unknown application identifier at character 17"),
    ("hello", "not-a-udi", "not a UDI"),
    ("  \r\n", "empty", "the code is empty"),
]

# HIBC: (code, rule, words of the message)
MALFORMED_HIBC = [
    # 145 mod 43 = 16 -> G, not H
    ("+A123BJC5D6E71H", "hibc-check-character", "HIBC check character is 'H', expected 'G'"),
    # 185 mod 43 = 13 -> D, not E
    ("+$$52001510X3GE", "hibc-check-character", "HIBC check character is 'E', expected 'D'"),
    # 261 mod 43 = 3; the 4 sent is wrong
    ("+A99912345/$$52001510X34", "hibc-check-character", "HIBC check character is '4', expected '3'"),
    # a secondary linked to another primary: link F (check over +$$52001510X3F = 184 mod 43 = 12 -> C)
    ("+A123BJC5D6E71G+$$52001510X3FC", "hibc-link-character", "the secondary's link character is 'F'"),
    ("+A12", "truncated", "truncated: an HIBC primary needs"),
    ("+A99912345/$$5200", "truncated", "truncated: expiry in format YYJJJ needs 5 digits"),
    ("+A99912345/$$81X", "truncated", "truncated: quantity after '$$8' needs 2 digits"),
    ("+A99912345/$$X", "truncated", "truncated: '$$' needs a date-format digit"),
    ("+A99912345/16D2011X", "truncated", "16D (date of manufacture) is YYYYMMDD"),
    (f"+A99912345/$$7{'L' * 19}X", "hibc-lot-length", "HIBC lot is 19 characters; at most 18"),
    ("+A99912345/$$3251301L1X", "hibc-date", "251301 is not a valid date in format YYMMDD"),
    ("+A99912345/$$525366L1X", "hibc-date", "25366 is not a valid date in format YYJJJ"),
    ("+A99912345/X12X", "hibc-unknown-field", "unknown HIBC data field '/X12'"),
    ("+-999123451", "hibc-labeler", "the labeler code starts with a letter, not '-'"),
    ("+A12312345678901234567890X", "hibc-product", "product number is 19 characters; at most 18"),
    ("+A123ABCDX", "hibc-unit-of-measure", "unit of measure is 'D'"),
    ("+a123bjc5d6e71g", "hibc-character", "HIBC data is upper case"),
    ("+A123#BC1X", "hibc-character", "character 6 ('#') is not allowed"),
]
