# wasm.cmake: links the core into one standalone .wasm (no Emscripten JS
# glue: web/core.js instantiates it and provides the few imports). Included
# by the top-level CMakeLists.txt when building with Emscripten. build.sh
# then optimizes it with a newer wasm-opt into dist/.
file(STRINGS ${CMAKE_CURRENT_LIST_DIR}/exports.txt XW_EXPORTS)
list(JOIN XW_EXPORTS "," XW_EXPORTS_CSV)

add_executable(xmpp_wasm ${CMAKE_CURRENT_LIST_DIR}/entry.c)
target_link_libraries(xmpp_wasm PRIVATE xw_core)
set_target_properties(xmpp_wasm PROPERTIES OUTPUT_NAME "xmpp-wasm" SUFFIX ".wasm")
# -mbulk-memory: memcpy/memset as memory.copy/fill (every browser since 2021;
# the JS already needs ES2022), smaller than libc's loops.
target_compile_options(xw_core PRIVATE -Oz -flto -mbulk-memory)
# entry.c in the LTO too: its getenv() lets the optimizer drop expat's printf.
target_compile_options(xmpp_wasm PRIVATE -Oz -flto -mbulk-memory)
target_link_options(xmpp_wasm PRIVATE
  -Oz -flto -mbulk-memory
  # A name section for wasm-build/size-report.mjs; build.sh's wasm-opt drops
  # it from dist/ and keeps the names in build/wasm/xmpp-wasm.symbols.
  --profiling-funcs
  --no-entry
  -sSTANDALONE_WASM=1
  -sFILESYSTEM=0
  -sALLOW_MEMORY_GROWTH=1
  -sINITIAL_MEMORY=1MB
  -sTOTAL_STACK=256KB
  -sMALLOC=emmalloc
  -sERROR_ON_UNDEFINED_SYMBOLS=1
  -sEXPORTED_FUNCTIONS=${XW_EXPORTS_CSV}
)
