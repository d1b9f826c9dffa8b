// Text that goes into Markdown as prose (PR summaries, SARIF help): what Markdown or the HTML
// around it would read as markup is escaped; spans in backticks are code and stay as written.
#pragma once

#include <string>
#include <string_view>

namespace migsafe {

// <, > and | outside `code` spans become &lt;, &gt; and \|.
std::string markdown_text(std::string_view s);

}  // namespace migsafe
