/* entry.c: the wasm module's translation unit of its own. The exports are
 * the core's public functions (listed in exports.txt); nothing runs at
 * load time, so this file only anchors the link. */
#include "xw.h"

/* Keeps the public header compiled in this target's include setup. */
typedef int xw_wasm_entry_unused;
