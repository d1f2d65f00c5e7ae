# subset.jq - "does this report contain that expectation?" for the end-to-end tests.
#
# mismatches($expected; $actual) yields one object {path, why, expected, actual}
# per place where $actual does not satisfy $expected, and nothing when it does:
#   - objects: every key of $expected must be present in $actual and match;
#     keys that only $actual has are ignored (the report may grow);
#   - arrays: same length, and element i matches element i (order matters);
#   - scalars: same JSON type and equal value (null matches only null,
#     1 does not match "1", false does not match null);
#   - {"$unordered": [e0, e1, ...]} in place of an array: the actual array has
#     the same length and each e_i matches a different element, in any order
#     (greedy, first match wins: make the elements distinguishable, e.g. by
#     server_ip, server_port and sni). For arrays whose order is not what the
#     test is about (servers[] is ranked by diagnosis verdicts).
# Used by run.sh and selftest.sh:  jq -n -L DIR 'include "subset"; ...'

def _mm($e; $a; $p):
  # Each expected element takes the first unused actual element it matches;
  # one that matches none is reported with its mismatches against the unused
  # actual element it comes closest to.
  def unordered($e; $a; $p):
    if ($a | type) != "array" then {path: $p, why: "type", expected: $e, actual: $a}
    else
      (if ($e | length) != ($a | length) then
         {path: $p, why: "length", expected: ($e | length), actual: ($a | length)}
       else empty end),
      (reduce range(0; $e | length) as $i ({used: [], missed: []};
         . as $st
         | [range(0; $a | length) as $j
            | select(($st.used | index([$j])) == null)
            | select([_mm($e[$i]; $a[$j]; [])] | length == 0) | $j] as $hits
         | if ($hits | length) > 0 then .used += [$hits[0]] else .missed += [$i] end)
       | .used as $used
       | .missed[] as $i
       | ([range(0; $a | length) as $j | select(($used | index([$j])) == null)
           | {j: $j, mm: [_mm($e[$i]; $a[$j]; $p + [$j])]}]
          | min_by(.mm | length)) as $best
       | {path: $p, why: "unmatched", expected: $i, actual: $best.j},
         (($best.mm // [])[]))
    end;
  ($e | type) as $te | ($a | type) as $ta |
  if $te == "object" and ($e | keys) == ["$unordered"] then unordered($e["$unordered"]; $a; $p)
  elif $te == "object" then
    if $ta != "object" then {path: $p, why: "type", expected: $e, actual: $a}
    else
      $e | keys_unsorted[] as $k |
      if ($a | has($k)) then _mm($e[$k]; $a[$k]; $p + [$k])
      else {path: ($p + [$k]), why: "missing", expected: $e[$k], actual: null}
      end
    end
  elif $te == "array" then
    if $ta != "array" then {path: $p, why: "type", expected: $e, actual: $a}
    else
      (if ($e | length) != ($a | length) then
         {path: $p, why: "length", expected: ($e | length), actual: ($a | length)}
       else empty end),
      # element by element over the common prefix, to show what differs
      (range(0; [($e | length), ($a | length)] | min) as $i
       | _mm($e[$i]; $a[$i]; $p + [$i]))
    end
  elif $te == $ta and $e == $a then empty
  else {path: $p, why: (if $te != $ta then "type" else "value" end), expected: $e, actual: $a}
  end;

def mismatches($e; $a): _mm($e; $a; []);

# [ "servers", 0, "sni" ] -> .servers[0].sni
def pathstr:
  if length == 0 then "."
  else map(if type == "number" then "[\(.)]"
           elif test("^[A-Za-z_][A-Za-z0-9_]*$") then ".\(.)"
           else "[\(tojson)]" end) | join("")
  end;

def _short: tojson | if length > 160 then .[0:157] + "..." else . end;

# One readable line per mismatch.
def describe:
  (.path | pathstr) + ": " +
  if .why == "missing" then "missing (expected \(.expected | _short))"
  elif .why == "length" then "array length: expected \(.expected), got \(.actual)"
  elif .why == "unmatched" then "unordered: expected element #\(.expected) matches no element"
     + (if .actual == null then "" else "; the closest, [\(.actual)], differs in:" end)
  elif .why == "type" then "expected \(.expected | _short) (\(.expected | type)), got \(.actual | _short) (\(.actual | type))"
  else "expected \(.expected | _short), got \(.actual | _short)"
  end;
