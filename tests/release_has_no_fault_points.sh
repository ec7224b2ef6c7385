#!/bin/sh
# Fails when a release artefact contains a fault point (a point's name, the
# hook's symbol or the old environment switch). Arguments: the files to read.
status=0
for artefact in "$@"; do
  for needle in snapshot.save.after_copy image.put.before_rename copy.file.before_open set_fault_hook A3S_FAULT_POINT; do
    if grep -q -a -F "$needle" "$artefact"; then
      echo "FAIL: '$needle' found in $artefact"
      status=1
    fi
  done
done
[ $status -eq 0 ] && echo "no fault point in: $*"
exit $status
