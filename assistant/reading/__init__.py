"""Reading answers straight from the data: table cells by their headers, and arithmetic the
product evaluates itself, so that a figure in an answer is copied or computed, never invented."""
