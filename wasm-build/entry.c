/* entry.c: the wasm module's translation unit of its own. The exports are
 * the core's public functions (listed in exports.txt); nothing runs at
 * load time, so this file only anchors the link, plus one libc function
 * the module does without. */
#include "xw.h"

/* Keeps the public header compiled in this target's include setup. */
typedef int xw_wasm_entry_unused;

/* No environment in a page (web/core.js reports an empty one): expat asks
 * for EXPAT_ENTROPY_DEBUG, and this getenv lets LTO drop the fprintf and
 * stdio that would print it (about 5 KB of wasm). */
char *getenv(const char *name);
char *getenv(const char *name) {
    (void)name;
    return 0;
}
