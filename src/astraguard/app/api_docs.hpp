#pragma once
// The API's description, compiled into the binary from app/openapi.json and app/docs.html (the
// build embeds both files, see CMakeLists.txt): the OpenAPI 3.1 document served at
// /openapi.json and the page at /docs that renders it in a browser with no other asset.
// Thread-safety: immutable static data.

#include <string_view>

namespace astraguard::app {

std::string_view OpenApiJson();
std::string_view DocsHtml();

}  // namespace astraguard::app
