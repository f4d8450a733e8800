# The jq workload's filter (workloads/program_jq.cc): jq -n -r -f jq_digest.jq FILE...
#
# Reads each document in turn (jq's parser builds it as reference-counted
# values, every object and array a malloc'ed block, strings copied), walks
# every value of it with `..`, serialises it again with tojson (one string
# grown by realloc to the document's size) and drops it before the next.
# Prints the number of documents and a checksum of what it counted.
def digest:
  { values: (reduce .. as $v (0; . + 1)),
    bytes: (tojson | length) };
reduce (inputs | digest) as $d ({documents: 0, values: 0, bytes: 0};
  .documents += 1 | .values += $d.values | .bytes += $d.bytes)
| "allocmark-documents: \(.documents)",
  "allocmark-checksum: \(.values) \(.bytes)"
