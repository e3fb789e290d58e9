# ccfleet settings merge in POSIX awk: the sh/awk implementation of docs/settings-merge-spec.md.
# It runs under the One True AWK (macOS), mawk, gawk and busybox awk. Run it with LC_ALL=C so that
# length() and substr() count bytes.
#
# Input: the file's bytes followed by one sentinel byte "x" on stdin, so the program can tell whether
# the last line ended with a newline without gawk's RT. No file at all is sent as the sentinel alone.
# Parameters come through ENVIRON, never through -v (which would process backslashes):
#   CCFLEET_MERGE_MODE   merge (default) or remove (take ccfleet's keys out, for uninstall)
#   CCFLEET_MERGE_FILE   name used in messages
#   CCFLEET_MERGE_FORCE  1 replaces conflicting values
#   CCFLEET_HELPER       desired apiKeyHelper
#   CCFLEET_ENV_COUNT    number of env entries, then CCFLEET_ENV_NAME_<i> and CCFLEET_ENV_VALUE_<i>
# Output: the new bytes on stdout, repairs, warnings and errors on stderr (one per line).
# Portability: no RT, gensub, strtonum or interval expressions; array elements are tested with `in`
# and never passed to functions before they exist, because gawk 5.2.1 frees such an element twice.
# Exit status: 0 changed, 10 unchanged, 11 invalid JSON (refused), 12 conflicts (refused),
# 13 removal left an empty object (new bytes on stdout; the caller may delete the file), 14 the
# input did not end with the sentinel (the caller could not read the file).

{ REC[++NREC] = $0 }

END {
  init_tables()
  FILE = ENVIRON["CCFLEET_MERGE_FILE"]
  if (FILE == "") FILE = "settings.json"
  MODE = ENVIRON["CCFLEET_MERGE_MODE"]
  if (MODE == "") MODE = "merge"
  FORCE = (ENVIRON["CCFLEET_MERGE_FORCE"] == "1")
  HELPER = ENVIRON["CCFLEET_HELPER"]
  NENV = ENVIRON["CCFLEET_ENV_COUNT"] + 0
  for (i = 1; i <= NENV; i++) {
    ENVNAME[i] = ENVIRON["CCFLEET_ENV_NAME_" i]
    ENVVALUE[i] = ENVIRON["CCFLEET_ENV_VALUE_" i]
  }

  text = join_records()
  if (READFAIL) {
    printf "%s: could not be read completely; left unchanged\n", FILE > "/dev/stderr"
    exit 14
  }
  exit main(text)
}

function init_tables(i) {
  for (i = 1; i < 256; i++) {
    CHR[i] = sprintf("%c", i)
    ORD[CHR[i]] = i
  }
  for (i = 0; i < 10; i++) DIGIT[i ""] = 1
  for (i = 0; i < 16; i++) HEXVAL[substr("0123456789abcdef", i + 1, 1)] = i
  for (i = 10; i < 16; i++) HEXVAL[substr("ABCDEF", i - 9, 1)] = i
  WORD = "^[^][ \t\r{}:,\"/]+"
  # Stands for a decoded \u0000, which no desired value can contain (the renderer rejects NUL).
  NULMARK = CHR[255] "0"
  BOM = CHR[239] CHR[187] CHR[191]
  HIGHBYTE = "[" CHR[128] "-" CHR[255] "]"
  # Control characters other than tab and CR, which are common outside strings.
  CONTROL = "[" CHR[1] "-" CHR[8] CHR[10] "-" CHR[12] CHR[14] "-" CHR[31] "]"
  # A line of well-formed UTF-8, so that only a line that fails is walked byte by byte.
  TAIL = "[" CHR[128] "-" CHR[191] "]"
  UTF8_LINE = "^([" CHR[1] "-" CHR[127] "]|[" CHR[194] "-" CHR[223] "]" TAIL "|" CHR[224] "[" CHR[160] "-" CHR[191] "]" TAIL "|[" CHR[225] "-" CHR[236] CHR[238] CHR[239] "]" TAIL TAIL "|" CHR[237] "[" CHR[128] "-" CHR[159] "]" TAIL "|" CHR[240] "[" CHR[144] "-" CHR[191] "]" TAIL TAIL "|[" CHR[241] "-" CHR[243] "]" TAIL TAIL TAIL "|" CHR[244] "[" CHR[128] "-" CHR[143] "]" TAIL TAIL ")*$"
}

# Rebuilds the input bytes from the records. Lines are joined in blocks of 64, and blocks in groups
# of 64, so that building a large file does not copy the growing string once per line.
function join_records(i, out, big, block, count, blocks) {
  out = ""
  big = ""
  block = ""
  count = 0
  blocks = 0
  for (i = 1; i <= NREC; i++) {
    block = block (i > 1 ? "\n" : "") REC[i]
    if (++count < 64) continue
    big = big block
    block = ""
    count = 0
    if (++blocks < 64) continue
    out = out big
    big = ""
    blocks = 0
  }
  out = out big block
  READFAIL = (substr(out, length(out), 1) != "x")
  return substr(out, 1, length(out) - 1)
}

function main(text, repaired, j) {
  NREPAIR = 0
  if (!valid_utf8(text)) return refuse_syntax()
  if (substr(text, 1, 3) == BOM) {
    text = substr(text, 4)
    report_repair(1, "removed the UTF-8 byte order mark")
  }

  # I1: the first line ending of the input, before repairs remove any line, decides.
  j = index(text, "\n")
  INPUT_EOL = (j > 1 && substr(text, j - 1, 1) == "\r") ? "\r\n" : "\n"

  # D3: no file, an empty file or whitespace only is no document.
  if (text ~ /^[ \t\r\n]*$/) {
    if (MODE == "remove") return 10
    printf "%s", new_document()
    return 0
  }

  # Pass 1: the original text, with comments and trailing commas allowed and collected.
  if (!load_and_parse(text)) return refuse_syntax()
  repaired = apply_repairs(text)

  # Pass 2: the repaired text is strict JSON.
  if (repaired != text && !load_and_parse(repaired)) return refuse_syntax()

  if (NT == 0) {
    # Only comments: once they are removed nothing is left, so this is a new document.
    if (MODE == "remove") return 10
    printf "%s", new_document()
    return 0
  }

  if (TT[1] != "{") {
    error_at(1, "the top-level value is not an object; Claude Code settings must be a JSON object")
    return 11
  }

  if (MODE == "remove") return remove_ours(repaired)
  return merge(repaired)
}

# ---------------------------------------------------------------------------------------------
# Loading and tokenizing
# ---------------------------------------------------------------------------------------------

function load_and_parse(text) {
  load(text)
  tokenize()
  if (!parse_document()) return 0
  TOP = TOPOBJ
  return 1
}

# Splits the text into lines LN[1..NL] (a CRLF line keeps its "\r") with start offsets LS[].
function load(text, i, offset) {
  DOC = text
  NL = split(text, LN, "\n")
  if (NL == 0) {
    NL = 1
    LN[1] = ""
  }
  offset = 1
  for (i = 1; i <= NL; i++) {
    LS[i] = offset
    offset += length(LN[i]) + 1
  }
}

# Line of a 1-based offset into DOC (binary search over the line starts).
function line_of(offset, low, high, middle) {
  low = 1
  high = NL
  while (low < high) {
    middle = int((low + high + 1) / 2)
    if (LS[middle] <= offset) low = middle
    else high = middle - 1
  }
  return low
}

function add_token(type, from, to) {
  NT++
  TT[NT] = type
  TA[NT] = from
  TZ[NT] = to
}

function add_comment(type, from, to) {
  NC++
  CT[NC] = type
  CA[NC] = from
  CZ[NC] = to
}

# Ends the token list with an "err" token; the parser reports the error only when it gets there,
# so an earlier syntax error wins, as in a parser that scans as it goes.
# A bad string's token starts at its opening quote (start_col); where the parser expects no string
# at all, the error is reported there, as in a parser that checks a string only when it takes one.
function token_error(line, col, message, start_col) {
  if (start_col == "") start_col = col
  add_token("err", LS[line] + start_col - 1, LS[line] + start_col - 1)
  TOKERRLINE = line
  TOKERRCOL = col
  TOKERRMSG = message
  TOKERRSTRING = (start_col != col)
}

function token_text(k) {
  return substr(DOC, TA[k], TZ[k] - TA[k] + 1)
}

# Splits DOC into tokens TT/TA/TZ ({ } [ ] : , s string, n number, l literal, err) and comments
# CT/CA/CZ (c line comment, b block comment); offsets are 1-based and inclusive. Tokens are found
# with index() and substr() where possible, because regular expressions and byte-by-byte walks are
# several times slower in gawk and the One True AWK.
function tokenize(l, line, rest, col, base, j, c, d, e, word, content, controls, inblock, blockstart) {
  NT = 0
  NC = 0
  inblock = 0
  for (l = 1; l <= NL; l++) {
    line = LN[l]
    rest = line
    col = 1
    base = LS[l]
    if (inblock) {
      j = index(rest, "*/")
      if (j == 0) continue
      add_comment("b", blockstart, base + j)
      inblock = 0
      rest = substr(rest, j + 2)
      col += j + 1
    }
    controls = (line ~ CONTROL)

    while (1) {
      c = substr(rest, 1, 1)
      # JSON whitespace is space, tab, CR and LF only: a vertical tab, form feed or Unicode space
      # starts a word and is refused, as in the other two implementations.
      if (c == " " || c == "\t" || c == "\r") {
        d = substr(rest, 2, 1)
        if (d == " " || d == "\t" || d == "\r") {
          match(rest, /^[ \t\r]+/)
          j = RLENGTH
        } else j = 1
        rest = substr(rest, j + 1)
        col += j
        continue
      }
      if (c == "") break

      if (c == "\"") {
        j = index(substr(rest, 2), "\"")
        content = substr(rest, 2, j - 1)
        if (j > 0 && index(content, "\\") == 0 && index(content, "\t") == 0 && index(content, "\r") == 0 && !(controls && content ~ CONTROL)) j++
        else {
          # Escapes or invalid characters: walk the string byte by byte.
          for (j = 2; ; j++) {
            d = substr(rest, j, 1)
            if (d == "") return token_error(l, col, "unterminated string")
            if (d == "\"") break
            if (d == "\\") {
              e = substr(rest, j + 1, 1)
              if (e == "u") {
                if (substr(rest, j + 2, 4) !~ /^[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]$/) return token_error(l, col + j - 1, "invalid \\u escape; it needs four hex digits", col)
                j += 5
                continue
              }
              if (e == "" || index("\"\\/bfnrt", e) == 0) return token_error(l, col + j - 1, "invalid escape in string", col)
              j++
              continue
            }
            if (d == "\r") return token_error(l, col, "unterminated string")
            if (ORD[d] < 32) return token_error(l, col + j - 1, "control character in string; write it as an escape", col)
          }
        }
        add_token("s", base + col - 1, base + col + j - 2)
        rest = substr(rest, j + 1)
        col += j
        continue
      }

      if (index("{}[]:,", c) > 0) {
        add_token(c, base + col - 1, base + col - 1)
        rest = substr(rest, 2)
        col++
        continue
      }

      if (c == "/") {
        d = substr(rest, 2, 1)
        if (d == "/") {
          # A line comment ends at the line end or at a CR, which JSON scanners take as a line break.
          j = index(rest, "\r")
          if (j == 0) {
            add_comment("c", base + col - 1, base + col + length(rest) - 2)
            break
          }
          add_comment("c", base + col - 1, base + col + j - 3)
          rest = substr(rest, j)
          col += j - 1
          continue
        }
        if (d == "*") {
          j = index(substr(rest, 3), "*/")
          if (j == 0) {
            inblock = 1
            blockstart = base + col - 1
            break
          }
          add_comment("b", base + col - 1, base + col + j + 1)
          rest = substr(rest, j + 4)
          col += j + 3
          continue
        }
        return token_error(l, col, "unexpected character")
      }

      if (c == "-" || (c in DIGIT)) {
        # The longest valid prefix; a "." or exponent without digits makes the whole number invalid.
        if (!match(rest, /^-?(0|[1-9][0-9]*)/)) return token_error(l, col, "invalid number")
        j = RLENGTH
        if (substr(rest, j + 1, 1) == ".") {
          if (!match(substr(rest, j + 1), /^\.[0-9]+/)) return token_error(l, col, "invalid number")
          j += RLENGTH
        }
        d = substr(rest, j + 1, 1)
        if (d == "e" || d == "E") {
          if (!match(substr(rest, j + 1), /^[eE][-+]?[0-9]+/)) return token_error(l, col, "invalid number")
          j += RLENGTH
        }
        add_token("n", base + col - 1, base + col + j - 2)
        rest = substr(rest, j + 1)
        col += j
        continue
      }

      # Anything else is a word: a run up to whitespace or a structural character. Only true,
      # false and null are valid, so "true@" is one invalid word, as in jsonc-parser's scanner.
      match(rest, WORD)
      word = substr(rest, 1, RLENGTH)
      if (word != "true" && word != "false" && word != "null") return token_error(l, col, "unexpected " (RLENGTH > 0 ? "word " word : "character"))
      add_token("l", base + col - 1, base + col + RLENGTH - 2)
      rest = substr(rest, RLENGTH + 1)
      col += RLENGTH
    }
  }
  if (inblock) token_error(line_of(blockstart), blockstart - LS[line_of(blockstart)] + 1, "unterminated block comment")
}

# ---------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------

# Parses the tokens. Members are recorded only where the merge looks: the top-level object and its
# env object (OBJOPEN, OBJCLOSE, OBJN; MK key token, MV1/MV2 first and last value token, MCHILD the
# recorded object id of the value). Trailing commas are marked in TRAIL.
function parse_document(next_index) {
  NOBJ = 0
  TOPOBJ = 0
  delete TRAIL
  TT[NT + 1] = "end"
  TT[NT + 2] = "end"
  TT[NT + 3] = "end"
  TA[NT + 1] = length(DOC) + 1
  if (NT == 0) return 1
  next_index = parse_value(1, 0, TT[1] == "{")
  if (next_index == 0) return 0
  if (next_index <= NT) return error_token(next_index, "unexpected text after the top-level value")
  if (TT[1] == "{") TOPOBJ = 1
  return 1
}

function error_token(k, message, line) {
  if (TT[k] == "err" && !(TOKERRSTRING && message != "value expected" && message != "property name expected")) return set_error(TOKERRLINE, TOKERRCOL, TOKERRMSG)
  if (TT[k] == "end") return set_error(NL, length(LN[NL]) + 1, "unexpected end of file")
  line = line_of(TA[k])
  return set_error(line, TA[k] - LS[line] + 1, message)
}

# depth is the number of objects and arrays around the value. Spec F4: an object or array that
# would be the 65th level is refused, because this parser recurses once per level and mawk 1.3.4's
# fixed evaluation stack overflows at about 85 levels.
function parse_value(p, depth, record, t) {
  t = TT[p]
  if ((t == "{" || t == "[") && depth >= 64) return error_token(p, "nesting deeper than 64 levels")
  if (t == "{") return parse_object(p, depth + 1, record)
  if (t == "[") return parse_array(p, depth + 1)
  if (t == "s" || t == "n" || t == "l") return p + 1
  return error_token(p, "value expected")
}

function parse_object(p, depth, record, id, m, next_index, child) {
  if (record) {
    id = ++NOBJ
    OBJOPEN[id] = p
    OBJN[id] = 0
  }
  p++
  if (TT[p] == "}") {
    if (record) OBJCLOSE[id] = p
    return p + 1
  }

  while (1) {
    if (TT[p] != "s") return error_token(p, "property name expected")
    if (TT[p + 1] != ":") return error_token(p + 1, "colon expected")
    # Only the top-level env object is recorded below the top level.
    child = (record && depth == 1 && TT[p + 2] == "{" && jdecode(token_text(p)) == "env") ? NOBJ + 1 : 0
    next_index = parse_value(p + 2, depth, child > 0)
    if (next_index == 0) return 0
    if (record) {
      m = ++OBJN[id]
      MK[id, m] = p
      MV1[id, m] = p + 2
      MV2[id, m] = next_index - 1
      MCHILD[id, m] = child
    }
    p = next_index

    if (TT[p] == "}") break
    if (TT[p] != ",") return error_token(p, "comma expected")
    if (TT[p + 1] == "}") {
      TRAIL[p] = 1
      p++
      break
    }
    p++
  }
  if (record) OBJCLOSE[id] = p
  return p + 1
}

function parse_array(p, depth, next_index) {
  p++
  if (TT[p] == "]") return p + 1
  while (1) {
    next_index = parse_value(p, depth, 0)
    if (next_index == 0) return 0
    p = next_index
    if (TT[p] == "]") break
    if (TT[p] != ",") return error_token(p, "comma expected")
    if (TT[p + 1] == "]") {
      TRAIL[p] = 1
      p++
      break
    }
    p++
  }
  return p + 1
}

# D2: the text must be UTF-8 (no overlong forms, surrogates or code points above U+10FFFF). Only
# lines holding a byte above 0x7F are walked byte by byte.
function valid_utf8(text, lines, n, l, line, len, i, o, need, cp, min, k, b, col) {
  n = split(text, lines, "\n")
  for (l = 1; l <= n; l++) {
    line = lines[l]
    if (line !~ HIGHBYTE || line ~ UTF8_LINE) continue
    len = length(line)
    col = 1
    for (i = 1; i <= len; i += need + 1) {
      o = ORD[substr(line, i, 1)]
      need = 0
      if (o < 128) {
        col++
        continue
      }
      if (o >= 194 && o <= 223) { need = 1; cp = o - 192; min = 128 }
      else if (o >= 224 && o <= 239) { need = 2; cp = o - 224; min = 2048 }
      else if (o >= 240 && o <= 244) { need = 3; cp = o - 240; min = 65536 }
      else return utf8_error(l, col)
      for (k = 1; k <= need; k++) {
        b = ORD[substr(line, i + k, 1)]
        if (b < 128 || b >= 192) return utf8_error(l, col)
        cp = cp * 64 + b - 128
      }
      if (cp < min || cp > 1114111 || (cp >= 55296 && cp <= 57343)) return utf8_error(l, col)
      col++
    }
  }
  return 1
}

function utf8_error(line, col) {
  ERRLINE = line
  ERRCOL = col
  ERRMSG = "the file is not valid UTF-8"
  return 0
}

# ---------------------------------------------------------------------------------------------
# Errors and reports
# ---------------------------------------------------------------------------------------------

function set_error(line, bytecol, message) {
  ERRLINE = line
  ERRCOL = char_column(LN[line], bytecol)
  ERRMSG = message
  return 0
}

# Column in characters: UTF-8 continuation bytes (0x80-0xBF) do not start a character.
function char_column(line, bytecol, i, col, o) {
  col = 1
  for (i = 1; i < bytecol && i <= length(line); i++) {
    o = ORD[substr(line, i, 1)]
    if (o < 128 || o >= 192) col++
  }
  return col + (bytecol > length(line) + 1 ? bytecol - length(line) - 1 : 0)
}

function refuse_syntax() {
  printf "%s:%d:%d: invalid JSON: %s; the file was left unchanged, fix it and run again\n", FILE, ERRLINE, ERRCOL, ERRMSG > "/dev/stderr"
  return 11
}

function error_at(k, message, line) {
  line = line_of(TA[k])
  printf "%s:%d:%d: %s; the file was left unchanged\n", FILE, line, char_column(LN[line], TA[k] - LS[line] + 1), message > "/dev/stderr"
}

function report_repair(line, message) {
  NREPAIR++
  printf "%s:%d: repaired: %s\n", FILE, line, message > "/dev/stderr"
}

# ---------------------------------------------------------------------------------------------
# Repairs (R1-R3)
# ---------------------------------------------------------------------------------------------

function is_blank(s) {
  return s ~ /^[ \t]*$/
}

function trailing_blank_length(s) {
  if (match(s, /[ \t]*$/)) return RLENGTH
  return 0
}

# Returns the text with comments and trailing commas removed, reporting each with its line. Each
# comment goes with the spaces and tabs right before it, each trailing comma alone. Then every line
# that held a comment and is left blank goes too, with its line ending; lines joined by a block
# comment count as one line. Offsets are 1-based, ranges [from, to).
function apply_repairs(text, k, c, n, ns, line, endline, before, from, to, i, j, r, position, content_end, blank, nm, out, block, count) {
  n = 0
  ns = 0
  k = 1
  c = 1
  # Comments and trailing commas, merged in file order.
  while (c <= NC || k <= NT) {
    if (k <= NT && !(k in TRAIL)) {
      k++
      continue
    }
    if (c <= NC && (k > NT || CA[c] < TA[k])) {
      line = line_of(CA[c])
      before = substr(LN[line], 1, CA[c] - LS[line])
      RFROM[++n] = CA[c] - trailing_blank_length(before)
      RTO[n] = CZ[c] + 1
      report_repair(line, CT[c] == "c" ? "removed a // comment" : "removed a /* */ comment")

      from = LS[line]
      endline = line_of(CZ[c])
      to = (endline < NL) ? LS[endline + 1] : length(text) + 1
      if (ns > 0 && from < STO[ns]) {
        if (to > STO[ns]) STO[ns] = to
      } else {
        SFROM[++ns] = from
        STO[ns] = to
      }
      c++
    } else {
      RFROM[++n] = TA[k]
      RTO[n] = TA[k] + 1
      report_repair(line_of(TA[k]), "removed a trailing comma")
      k++
    }
  }
  if (n == 0) return text

  # Spans left blank once the removals are gone are removed whole.
  r = 1
  for (i = 1; i <= ns; i++) {
    content_end = STO[i]
    if (substr(text, content_end - 1, 1) == "\n") content_end--
    if (content_end > SFROM[i] && substr(text, content_end - 1, 1) == "\r") content_end--
    position = SFROM[i]
    blank = 1
    while (r <= n && RTO[r] <= position) r++
    for (j = r; j <= n && RFROM[j] < content_end; j++) {
      if (RTO[j] <= position) continue
      if (RFROM[j] > position && !is_blank(substr(text, position, RFROM[j] - position))) {
        blank = 0
        break
      }
      if (RTO[j] > position) position = RTO[j]
    }
    if (blank && position < content_end && !is_blank(substr(text, position, content_end - position))) blank = 0
    if (blank) {
      RFROM[++n] = SFROM[i]
      RTO[n] = STO[i]
    }
  }

  # Sort (insertion sort: the spans come after the sorted removals) and merge overlapping ranges.
  for (i = 2; i <= n; i++) {
    from = RFROM[i]
    to = RTO[i]
    for (j = i - 1; j >= 1 && RFROM[j] > from; j--) {
      RFROM[j + 1] = RFROM[j]
      RTO[j + 1] = RTO[j]
    }
    RFROM[j + 1] = from
    RTO[j + 1] = to
  }
  nm = 0
  for (i = 1; i <= n; i++) {
    if (nm > 0 && RFROM[i] <= MTO[nm]) {
      if (RTO[i] > MTO[nm]) MTO[nm] = RTO[i]
    } else {
      MFROM[++nm] = RFROM[i]
      MTO[nm] = RTO[i]
    }
  }

  out = ""
  block = ""
  position = 1
  count = 0
  for (i = 1; i <= nm; i++) {
    block = block substr(text, position, MFROM[i] - position)
    position = MTO[i]
    if (++count == 64) {
      out = out block
      block = ""
      count = 0
    }
  }
  return out block substr(text, position)
}

# ---------------------------------------------------------------------------------------------
# Strings
# ---------------------------------------------------------------------------------------------

function hex4(s) {
  return HEXVAL[substr(s, 1, 1)] * 4096 + HEXVAL[substr(s, 2, 1)] * 256 + HEXVAL[substr(s, 3, 1)] * 16 + HEXVAL[substr(s, 4, 1)]
}

function utf8(cp) {
  if (cp == 0) return NULMARK
  if (cp < 128) return CHR[cp]
  if (cp < 2048) return CHR[192 + int(cp / 64)] CHR[128 + cp % 64]
  if (cp < 65536) return CHR[224 + int(cp / 4096)] CHR[128 + int(cp / 64) % 64] CHR[128 + cp % 64]
  return CHR[240 + int(cp / 262144)] CHR[128 + int(cp / 4096) % 64] CHR[128 + int(cp / 64) % 64] CHR[128 + cp % 64]
}

# Decodes a JSON string literal (with its quotes) to bytes, so values compare by meaning (V3).
function jdecode(s, out, i, n, c, cp, low) {
  s = substr(s, 2, length(s) - 2)
  if (index(s, "\\") == 0) return s
  out = ""
  n = length(s)
  for (i = 1; i <= n; i++) {
    c = substr(s, i, 1)
    if (c != "\\") {
      out = out c
      continue
    }
    c = substr(s, ++i, 1)
    if (c == "u") {
      cp = hex4(substr(s, i + 1, 4))
      i += 4
      if (cp >= 55296 && cp < 56320 && substr(s, i + 1, 2) == "\\u") {
        low = hex4(substr(s, i + 3, 4))
        if (low >= 56320 && low < 57344) {
          cp = 65536 + (cp - 55296) * 1024 + (low - 56320)
          i += 6
        }
      }
      out = out utf8(cp)
    } else if (c == "b") out = out CHR[8]
    else if (c == "f") out = out CHR[12]
    else if (c == "n") out = out "\n"
    else if (c == "r") out = out "\r"
    else if (c == "t") out = out "\t"
    else out = out c
  }
  return out
}

# Writes a JSON string literal (V6): quote and backslash escaped, control characters as \b \f \n
# \r \t or \u00xx, everything else literal.
function jencode(s, out, i, n, c, o) {
  out = ""
  n = length(s)
  for (i = 1; i <= n; i++) {
    c = substr(s, i, 1)
    o = ORD[c]
    if (c == "\"") out = out "\\\""
    else if (c == "\\") out = out "\\\\"
    else if (o >= 32 || o == 0) out = out c
    else if (o == 8) out = out "\\b"
    else if (o == 12) out = out "\\f"
    else if (o == 10) out = out "\\n"
    else if (o == 13) out = out "\\r"
    else if (o == 9) out = out "\\t"
    else out = out sprintf("\\u%04x", o)
  }
  return "\"" out "\""
}

# ---------------------------------------------------------------------------------------------
# Layout helpers (I1-I6)
# ---------------------------------------------------------------------------------------------

function lead_ws(line) {
  match(LN[line], /^[ \t]*/)
  return substr(LN[line], 1, RLENGTH)
}

function line_ending() {
  return INPUT_EOL
}

# I2: the indentation unit of the document.
function indent_unit(member_ws, brace_ws) {
  if (OBJN[TOP] == 0 || line_of(TA[MK[TOP, 1]]) == line_of(TA[OBJOPEN[TOP]])) return "  "
  member_ws = lead_ws(line_of(TA[MK[TOP, 1]]))
  brace_ws = lead_ws(line_of(TA[OBJOPEN[TOP]]))
  if (length(member_ws) > length(brace_ws) && substr(member_ws, 1, length(brace_ws)) == brace_ws) return substr(member_ws, length(brace_ws) + 1)
  return "  "
}

# I6: a new env object, on one line or on several lines indented one unit below member_ws.
function env_object(multiline, member_ws, i, out) {
  out = "{"
  for (i = 1; i <= NENV; i++) {
    if (!WANTED[i]) continue
    if (multiline) out = out (out == "{" ? "" : ",") EOL member_ws UNIT jencode(ENVNAME[i]) ": " jencode(ENVVALUE[i])
    else out = out (out == "{" ? "" : ", ") jencode(ENVNAME[i]) ": " jencode(ENVVALUE[i])
  }
  if (multiline) return out EOL member_ws "}"
  return out "}"
}

# Queues the insertion of members NEWKEY[1..count] / NEWVAL[] at the end of object id (I3-I5).
# A value "\001env" stands for a new env object laid out for the place it goes.
function insert_members(id, count, i, brace_ws, member_ws, text, multiline, value) {
  if (count == 0) return
  if (OBJN[id] == 0) {
    brace_ws = lead_ws(line_of(TA[OBJOPEN[id]]))
    member_ws = brace_ws UNIT
    text = ""
    for (i = 1; i <= count; i++) {
      value = (NEWVAL[i] == "\001env") ? env_object(1, member_ws) : NEWVAL[i]
      text = text (i > 1 ? "," : "") EOL member_ws NEWKEY[i] ": " value
    }
    queue_edit(TA[OBJOPEN[id]] + 1, TA[OBJCLOSE[id]] - 1, text EOL brace_ws)
    return
  }

  multiline = line_of(TA[MK[id, 1]]) > line_of(TA[OBJOPEN[id]])
  member_ws = multiline ? lead_ws(line_of(TA[MK[id, 1]])) : ""
  text = ""
  for (i = 1; i <= count; i++) {
    value = (NEWVAL[i] == "\001env") ? env_object(multiline, member_ws) : NEWVAL[i]
    if (multiline) text = text "," EOL member_ws NEWKEY[i] ": " value
    else text = text ", " NEWKEY[i] ": " value
  }
  queue_edit(TZ[MV2[id, OBJN[id]]] + 1, TZ[MV2[id, OBJN[id]]], text)
}

function queue_edit(from, to, text) {
  NEDIT++
  EFROM[NEDIT] = from
  ETO[NEDIT] = to
  ETEXT[NEDIT] = text
}

# Applies the queued edits (non-overlapping) from the last to the first.
function apply_edits(text, i, j, swap) {
  for (i = 2; i <= NEDIT; i++) {
    for (j = i; j > 1 && EFROM[j] > EFROM[j - 1]; j--) {
      swap = EFROM[j]; EFROM[j] = EFROM[j - 1]; EFROM[j - 1] = swap
      swap = ETO[j]; ETO[j] = ETO[j - 1]; ETO[j - 1] = swap
      swap = ETEXT[j]; ETEXT[j] = ETEXT[j - 1]; ETEXT[j - 1] = swap
    }
  }
  for (i = 1; i <= NEDIT; i++) text = substr(text, 1, EFROM[i] - 1) ETEXT[i] substr(text, ETO[i] + 1)
  return text
}

function value_text(id, m) {
  return substr(DOC, TA[MV1[id, m]], TZ[MV2[id, m]] - TA[MV1[id, m]] + 1)
}

# ---------------------------------------------------------------------------------------------
# Merge (V1-V6)
# ---------------------------------------------------------------------------------------------

function new_document(i) {
  EOL = "\n"
  UNIT = "  "
  for (i = 1; i <= NENV; i++) WANTED[i] = 1
  return "{\n  \"apiKeyHelper\": " jencode(HELPER) ",\n  \"env\": " env_object(1, "  ") "\n}\n"
}

# Returns the first member of object id whose decoded key is name, or 0.
function find_member(id, name, m) {
  for (m = 1; m <= OBJN[id]; m++) if (jdecode(token_text(MK[id, m])) == name) return m
  return 0
}

# F3: a second apiKeyHelper or env, or a second desired variable inside env, in member order.
function check_duplicates(m, key, seen, env_id, i) {
  env_id = 0
  for (m = 1; m <= OBJN[TOP]; m++) {
    key = jdecode(token_text(MK[TOP, m]))
    if (key != "apiKeyHelper" && key != "env") continue
    if (key in seen) return duplicate(MK[TOP, m], key)
    seen[key] = 1
    if (key == "env") env_id = MCHILD[TOP, m]
  }
  if (!env_id) return 1
  for (m = 1; m <= OBJN[env_id]; m++) {
    key = jdecode(token_text(MK[env_id, m]))
    if (!(key in DESIREDENV)) continue
    if (("env." key) in seen) return duplicate(MK[env_id, m], "env." key)
    seen["env." key] = 1
  }
  return 1
}

function duplicate(k, path) {
  error_at(k, "duplicate key " jencode(path) "; Claude Code uses the last one, so fix the file by hand")
  return 0
}

function conflict(path, old, new) {
  NCONFLICT++
  CONFLICTS = CONFLICTS sprintf("%s: conflict: %s is %s, ccfleet sets %s\n", FILE, path, old, new)
}

# V5: each overriding variable in env, named without its value, once, in member order.
function warn_overriding(env_id, m, key, warned) {
  for (m = 1; m <= OBJN[env_id]; m++) {
    key = jdecode(token_text(MK[env_id, m]))
    if ((key != "ANTHROPIC_API_KEY" && key != "ANTHROPIC_AUTH_TOKEN") || (key in warned)) continue
    warned[key] = 1
    printf "%s:%d: warning: env.%s makes Claude Code ignore apiKeyHelper; remove it\n", FILE, line_of(TA[MK[env_id, m]]), key > "/dev/stderr"
  }
}

function is_multiline(id) {
  return OBJN[id] > 0 && line_of(TA[MK[id, 1]]) > line_of(TA[OBJOPEN[id]])
}

# V1-V4: lists conflicts; with force, queues the replacements.
function find_conflicts(helper_m, env_m, env_id, i, m, multiline) {
  if (helper_m > 0 && !(TT[MV1[TOP, helper_m]] == "s" && jdecode(token_text(MV1[TOP, helper_m])) == HELPER)) {
    conflict("apiKeyHelper", value_text(TOP, helper_m), jencode(HELPER))
    queue_edit(TA[MV1[TOP, helper_m]], TZ[MV2[TOP, helper_m]], jencode(HELPER))
  }
  if (env_m == 0) return
  if (!env_id) {
    for (i = 1; i <= NENV; i++) WANTED[i] = 1
    multiline = is_multiline(TOP)
    conflict("env", value_text(TOP, env_m), "an object")
    queue_edit(TA[MV1[TOP, env_m]], TZ[MV2[TOP, env_m]], env_object(multiline, multiline ? lead_ws(line_of(TA[MK[TOP, 1]])) : ""))
    return
  }
  for (i = 1; i <= NENV; i++) {
    m = find_member(env_id, ENVNAME[i])
    if (m == 0 || (TT[MV1[env_id, m]] == "s" && jdecode(token_text(MV1[env_id, m])) == ENVVALUE[i])) continue
    conflict("env." ENVNAME[i], value_text(env_id, m), jencode(ENVVALUE[i]))
    queue_edit(TA[MV1[env_id, m]], TZ[MV2[env_id, m]], jencode(ENVVALUE[i]))
  }
}

function merge(text, helper_m, env_m, env_id, i, count, edits) {
  for (i = 1; i <= NENV; i++) DESIREDENV[ENVNAME[i]] = 1
  if (!check_duplicates()) return 11

  EOL = line_ending()
  UNIT = indent_unit()
  NEDIT = 0
  NCONFLICT = 0
  CONFLICTS = ""
  helper_m = find_member(TOP, "apiKeyHelper")
  env_m = find_member(TOP, "env")
  env_id = (env_m > 0) ? MCHILD[TOP, env_m] : 0
  if (env_id) warn_overriding(env_id)

  find_conflicts(helper_m, env_m, env_id)
  if (NCONFLICT > 0) {
    printf "%s", CONFLICTS > "/dev/stderr"
    if (!FORCE) {
      printf "%s: %d conflicting value(s); the file was left unchanged, run again with --force to replace them\n", FILE, NCONFLICT > "/dev/stderr"
      return 12
    }

    # Forced replacements keep the structure; the insertions below work on the new text.
    text = apply_edits(text)
    edits = NEDIT
    if (!load_and_parse(text)) return refuse_syntax()
    EOL = line_ending()
    UNIT = indent_unit()
    helper_m = find_member(TOP, "apiKeyHelper")
    env_m = find_member(TOP, "env")
    env_id = (env_m > 0) ? MCHILD[TOP, env_m] : 0
  }
  NEDIT = 0

  # V2: missing variables at the end of an existing env object.
  if (env_id) {
    count = 0
    for (i = 1; i <= NENV; i++) {
      WANTED[i] = (find_member(env_id, ENVNAME[i]) == 0)
      if (!WANTED[i]) continue
      NEWKEY[++count] = jencode(ENVNAME[i])
      NEWVAL[count] = jencode(ENVVALUE[i])
    }
    if (count > 0 && OBJN[env_id] == 0 && !is_multiline(TOP) && OBJN[TOP] > 0) {
      # I5: an empty env in a single-line parent stays on one line.
      queue_edit(TA[OBJOPEN[env_id]] + 1, TA[OBJCLOSE[env_id]] - 1, substr(env_object(0, ""), 2, length(env_object(0, "")) - 2))
    } else insert_members(env_id, count)
  }

  # V1, I7: new top-level members, apiKeyHelper first, then env.
  count = 0
  if (helper_m == 0) {
    NEWKEY[++count] = "\"apiKeyHelper\""
    NEWVAL[count] = jencode(HELPER)
  }
  if (env_m == 0) {
    for (i = 1; i <= NENV; i++) WANTED[i] = 1
    NEWKEY[++count] = "\"env\""
    NEWVAL[count] = "\001env"
  }
  insert_members(TOP, count)

  if (NEDIT == 0 && edits == 0 && NREPAIR == 0) return 10
  printf "%s", apply_edits(text)
  return 0
}

# ---------------------------------------------------------------------------------------------
# Removal (E1), for uninstall: ccfleet's keys go only where they still hold ccfleet's values.
# ---------------------------------------------------------------------------------------------

# Removes member m of object id from DOC and returns the new text (E1).
function remove_member(id, m, from, to, text, start, rest, l) {
  if (OBJN[id] == 1) {
    from = TA[OBJOPEN[id]] + 1
    to = TA[OBJCLOSE[id]] - 1
    return substr(DOC, 1, from - 1) substr(DOC, to + 1)
  }
  if (m < OBJN[id]) {
    from = TA[MK[id, m]]
    to = TA[MK[id, m + 1]] - 1
  } else {
    from = TZ[MV2[id, m - 1]] + 1
    to = TZ[MV2[id, m]]
  }
  text = substr(DOC, 1, from - 1) substr(DOC, to + 1)

  # The line where the member was goes too when only whitespace is left on it.
  start = from
  while (start > 1 && substr(text, start - 1, 1) != "\n") start--
  rest = substr(text, start)
  l = index(rest, "\n")
  if (l > 0) rest = substr(rest, 1, l)
  if (rest ~ /^[ \t]*\r?\n?$/) text = substr(text, 1, start - 1) substr(text, start + length(rest))
  return text
}

function ours(id, m, value) {
  return TT[MV1[id, m]] == "s" && jdecode(token_text(MV1[id, m])) == value
}

# Finds the next member to remove: sets RMID and RMM and returns 1, or returns 0 when none is left.
function next_removal(helper_m, env_m, env_id, i, m, all) {
  helper_m = find_member(TOP, "apiKeyHelper")
  env_m = find_member(TOP, "env")
  if (helper_m > 0 && ours(TOP, helper_m, HELPER)) {
    RMID = TOP
    RMM = helper_m
    return 1
  }
  env_id = (env_m > 0) ? MCHILD[TOP, env_m] : 0
  if (!env_id) return 0

  # An env object that holds only ccfleet's entries goes as a whole.
  all = OBJN[env_id] > 0
  for (m = 1; m <= OBJN[env_id] && all; m++) {
    all = 0
    for (i = 1; i <= NENV; i++) if (jdecode(token_text(MK[env_id, m])) == ENVNAME[i] && ours(env_id, m, ENVVALUE[i])) all = 1
  }
  if (all) {
    RMID = TOP
    RMM = env_m
    return 1
  }
  for (i = 1; i <= NENV; i++) {
    m = find_member(env_id, ENVNAME[i])
    if (m > 0 && ours(env_id, m, ENVVALUE[i])) {
      RMID = env_id
      RMM = m
      return 1
    }
  }
  return 0
}

# Uninstall: removes apiKeyHelper and env entries that still hold ccfleet's values, one at a time
# because each removal moves the text after it. Nothing to remove leaves the file as it is, even
# when it has comments.
function remove_ours(text, removed, i) {
  for (i = 1; i <= NENV; i++) DESIREDENV[ENVNAME[i]] = 1
  if (!check_duplicates()) return 11
  removed = 0
  while (next_removal()) {
    text = remove_member(RMID, RMM)
    removed++
    if (!load_and_parse(text)) return refuse_syntax()
  }
  if (removed == 0) return 10
  printf "%s", text
  return (OBJN[TOP] == 0) ? 13 : 0
}
