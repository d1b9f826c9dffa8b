// What a change needs of the rows already there, as questions a snapshot can answer read-only.
#pragma once

#include <vector>

#include "migsafe/snapshot.hpp"

namespace migsafe {

// dialect: how the conditions of violations are written (CHAR_LENGTH is the same on both).
std::vector<DataQuestion> data_questions(Dialect dialect, const Operation& op,
                                         const TableInfo& table);

}  // namespace migsafe
