package guard

import "strings"

// The functions a statement may call: an allowlist. Whatever is not named here is refused, so that a function
// added to an engine in a later version (or an extension) is unavailable until reviewed.
//
// They are the scalar, aggregate and window functions of DuckDB (duckdb_functions(), schema main) that compute
// on their arguments alone, and the common ones of Trino's that DuckDB lacks. Left out on purpose: everything
// that reads files, URLs or SQL text (read_*, glob, query, json_serialize_plan…), that reveals the engine's
// state, settings, catalogs or environment (duckdb_*, pragma_*, pg_*, current_*, has_*_privilege, version,
// getenv, getvariable, *_description…), sequences (nextval), sleeping (pg_sleep) and profiling switches.
var allowedFuncs = setOf(
	"abs", "acos", "acosh", "add", "age", "aggregate", "ago", "all_match", "any_match", "any_value", "apply",
	"approx_count_distinct", "approx_distinct", "approx_most_frequent", "approx_percentile", "approx_quantile",
	"approx_top_k", "arbitrary", "arg_max", "arg_max_null", "arg_max_nulls_last", "arg_min", "arg_min_null",
	"arg_min_nulls_last", "argmax", "argmin", "array_agg", "array_aggr", "array_aggregate", "array_append",
	"array_apply", "array_cat", "array_concat", "array_contains", "array_cosine_distance",
	"array_cosine_similarity", "array_cross_product", "array_distance", "array_distinct", "array_dot_product",
	"array_except", "array_extract", "array_filter", "array_frequency", "array_grade_up", "array_has",
	"array_has_all", "array_has_any", "array_has_duplicates", "array_indexof", "array_inner_product",
	"array_intersect", "array_join", "array_length", "array_max", "array_min", "array_negative_dot_product",
	"array_negative_inner_product", "array_pop_back", "array_pop_front", "array_position", "array_prepend",
	"array_push_back", "array_push_front", "array_reduce", "array_remove", "array_resize", "array_reverse",
	"array_reverse_sort", "array_select", "array_slice", "array_sort", "array_to_json", "array_to_string",
	"array_to_string_comma_default", "array_transform", "array_union", "array_unique", "array_value",
	"array_where", "array_zip", "arrays_overlap", "ascii", "asin", "asinh", "at_timezone", "atan", "atan2",
	"atanh", "avg", "bar", "base64", "bin", "bit_and", "bit_count", "bit_length", "bit_or", "bit_position",
	"bit_xor", "bitstring", "bitstring_agg", "bitwise_and", "bitwise_not", "bitwise_or", "bitwise_xor",
	"bool_and", "bool_or", "can_cast_implicitly", "cardinality", "cast_to_type", "cbrt", "ceil", "ceiling",
	"century", "char_length", "character_length", "checksum", "chr", "codepoint", "combinations", "concat",
	"concat_ws", "contains", "corr", "cos", "cosh", "cot", "count", "count_if", "count_star", "countif",
	"covar_pop", "covar_samp", "cume_dist", "damerau_levenshtein", "date", "date_add", "date_diff", "date_format",
	"date_parse", "date_part", "date_sub", "date_trunc", "datediff", "datepart", "datesub", "datetrunc", "day",
	"day_of_month", "day_of_week", "day_of_year", "dayname", "dayofmonth", "dayofweek", "dayofyear",
	"days_in_month", "decade", "decode", "degrees", "dense_rank", "divide", "dow", "doy", "e", "editdist3",
	"element_at", "encode", "ends_with", "entropy", "enum_code", "enum_first", "enum_last", "enum_range",
	"enum_range_boundary", "epoch", "epoch_ms", "epoch_ns", "epoch_us", "equi_width_bins", "era", "even", "every",
	"exp", "factorial", "favg", "fdiv", "fill", "filter", "first", "first_value", "flatten", "floor", "fmod",
	"format", "format_bytes", "format_datetime", "format_number", "formatreadabledecimalsize",
	"formatreadablesize", "from_base64", "from_binary", "from_hex", "from_iso8601_date", "from_iso8601_timestamp",
	"from_json", "from_json_strict", "from_unixtime", "from_utf8", "fsum", "gamma", "gcd", "gen_random_uuid",
	"generate_series", "generate_subscripts", "geomean", "geometric_mean", "get_bit", "get_current_time", "get_type", "grade_up",
	"greatest", "greatest_common_divisor", "group_concat", "hamming", "hamming_distance", "hash", "hex",
	"histogram", "histogram_exact", "hour", "human_readable_seconds", "ilike_escape", "infinity", "instr",
	"is_finite", "is_histogram_other_bin", "is_infinite", "is_nan", "isfinite", "isinf", "isnan", "isodow",
	"isoyear", "jaccard", "jaro_similarity", "jaro_winkler_similarity", "json", "json_array",
	"json_array_contains", "json_array_get", "json_array_length", "json_contains", "json_exists", "json_extract",
	"json_extract_path", "json_extract_path_text", "json_extract_scalar", "json_extract_string", "json_format",
	"json_group_array", "json_group_object", "json_group_structure", "json_keys", "json_merge_patch",
	"json_object", "json_parse", "json_pretty", "json_quote", "json_size", "json_structure", "json_transform",
	"json_transform_strict", "json_type", "json_valid", "json_value", "julian", "kahan_sum", "kurtosis",
	"kurtosis_pop", "lag", "last", "last_day", "last_day_of_month", "last_value", "lcase", "lcm", "lead", "least",
	"least_common_multiple", "left", "left_grapheme", "len", "length", "length_grapheme", "levenshtein",
	"levenshtein_distance", "lgamma", "like_escape", "list", "list_aggr", "list_aggregate", "list_any_value",
	"list_append", "list_apply", "list_approx_count_distinct", "list_avg", "list_bit_and", "list_bit_or",
	"list_bit_xor", "list_bool_and", "list_bool_or", "list_cat", "list_concat", "list_contains",
	"list_cosine_distance", "list_cosine_similarity", "list_count", "list_distance", "list_distinct",
	"list_dot_product", "list_element", "list_entropy", "list_extract", "list_filter", "list_first",
	"list_grade_up", "list_has", "list_has_all", "list_has_any", "list_histogram", "list_indexof",
	"list_inner_product", "list_intersect", "list_kurtosis", "list_kurtosis_pop", "list_last", "list_mad",
	"list_max", "list_median", "list_min", "list_mode", "list_negative_dot_product",
	"list_negative_inner_product", "list_pack", "list_position", "list_prepend", "list_product", "list_reduce",
	"list_resize", "list_reverse", "list_reverse_sort", "list_select", "list_sem", "list_skewness", "list_slice",
	"list_sort", "list_stddev_pop", "list_stddev_samp", "list_string_agg", "list_sum", "list_transform",
	"list_unique", "list_value", "list_var_pop", "list_var_samp", "list_where", "list_zip", "listagg", "ln",
	"log", "log10", "log2", "lower", "lpad", "ltrim", "luhn_check", "mad", "make_date", "make_time",
	"make_timestamp", "make_timestamp_ns", "make_timestamptz", "make_type", "map", "map_agg", "map_concat",
	"map_contains", "map_contains_entry", "map_contains_value", "map_entries", "map_extract", "map_extract_value",
	"map_filter", "map_from_arrays", "map_from_entries", "map_keys", "map_values", "map_zip_with", "max",
	"max_by", "md5", "md5_number", "md5_number_lower", "md5_number_upper", "mean", "median", "microsecond",
	"millennium", "millisecond", "min", "min_by", "minute", "mismatches", "mod", "mode", "month", "monthname",
	"multimap_agg", "multiply", "nan", "nanosecond", "nextafter", "nfc_normalize", "ngrams", "none_match",
	"normalize", "normalized_interval", "not_ilike_escape", "not_like_escape", "now", "nth_value", "ntile",
	"nullif", "octet_length", "ord", "parse_datetime", "parse_dirname", "parse_dirpath", "parse_filename",
	"parse_formatted_bytes", "parse_path", "percent_rank", "pi", "position", "pow", "power", "prefix", "printf",
	"product", "quantile", "quantile_cont", "quantile_disc", "quarter", "radians", "rand", "random", "range", "rank",
	"rank_dense", "reduce", "regexp_count", "regexp_escape", "regexp_extract", "regexp_extract_all",
	"regexp_full_match", "regexp_like", "regexp_matches", "regexp_position", "regexp_replace", "regexp_split",
	"regexp_split_to_array", "regexp_split_to_table", "regr_avgx", "regr_avgy", "regr_count", "regr_intercept",
	"regr_r2", "regr_slope", "regr_sxx", "regr_sxy", "regr_syy", "remap_struct", "repeat", "replace",
	"replace_type", "reservoir_quantile", "reverse", "right", "right_grapheme", "round", "round_even",
	"roundbankers", "row", "row_number", "row_to_json", "rpad", "rtrim", "second", "sem", "sequence", "set_bit",
	"sha1", "sha256", "shuffle", "sign", "signbit", "sin", "sinh", "skewness", "slice", "split", "split_part",
	"split_to_map", "sqrt", "starts_with", "stddev", "stddev_pop", "stddev_samp", "str_split", "str_split_regex",
	"strftime", "string_agg", "string_split", "string_split_regex", "string_to_array", "strip_accents", "strlen",
	"strpos", "strptime", "struct_concat", "struct_contains", "struct_extract", "struct_extract_at", "struct_has",
	"struct_indexof", "struct_insert", "struct_keys", "struct_pack", "struct_position", "struct_update",
	"struct_values", "substr", "substring", "substring_grapheme", "subtract", "suffix", "sum", "sum_no_overflow",
	"sumkahan", "switch", "tan", "tanh", "time_bucket", "timetz_byte_comparable", "timezone", "timezone_hour",
	"timezone_minute", "to_base", "to_base64", "to_binary", "to_centuries", "to_days", "to_decades", "to_hex",
	"to_hours", "to_iso8601", "to_json", "to_microseconds", "to_millennia", "to_milliseconds", "to_minutes",
	"to_months", "to_quarters", "to_seconds", "to_timestamp", "to_unixtime", "to_utf8", "to_weeks", "to_years",
	"today", "transaction_timestamp", "transform", "transform_keys", "transform_values", "translate", "trim",
	"trunc", "truncate", "try", "try_strptime", "typeof", "ucase", "unbin", "unhex", "unicode", "unnest", "union_extract",
	"union_tag", "union_value", "upper", "url_decode", "url_encode", "url_extract_host", "url_extract_path",
	"url_extract_query", "uuid", "uuid_extract_timestamp", "uuid_extract_version", "uuidv4", "uuidv7", "var_pop",
	"var_samp", "variance", "variant_bytes_to_variant", "variant_extract", "variant_normalize",
	"variant_to_parquet_variant", "variant_typeof", "vector_type", "wavg", "week", "week_of_year", "weekday",
	"weekofyear", "weighted_avg", "width_bucket", "with_timezone", "xor", "year", "year_of_week", "yearweek",
	"yow", "zip", "zip_with",
)

// allowedTableFuncs are the table functions a FROM clause may call: they generate rows from their arguments.
var allowedTableFuncs = setOf("unnest", "range", "generate_series")

// callKeywords are words followed by "(" that are syntax, not a function call (IN (…), CAST(…), OVER (…),
// COALESCE(…) that engines parse as an operator, VALUES (…) …).
var callKeywords = setOf(
	"in", "exists", "as", "values", "over", "filter", "within", "array", "row", "cast", "try_cast", "extract",
	"any", "all", "some", "using", "on", "and", "or", "not", "from", "join", "where", "when", "then", "else",
	"case", "unnest", "lateral", "columns", "struct", "map", "list", "interval", "distinct", "tablesample",
	"sample", "pivot", "unpivot", "qualify", "having", "limit", "offset", "recursive", "sets", "cube", "rollup",
	"window", "by", "partition", "rows", "groups", "select", "union", "intersect", "except", "like",
	"ilike", "between", "is", "coalesce", "nullif", "ifnull", "if", "greatest", "least", "grouping", "position",
	"substring", "trim", "overlay", "collate", "exclude", "replace", "rename", "escape", "similar", "materialized",
	"returning", "lambda", "explain", "analyze", "describe", "with", "to", "at", "zone", "for", "default",
)

// afterKeywords are the words after which an identifier followed by "(" is a call: elsewhere, "name(" right
// after an identifier is an alias with its column list ("FROM t AS x(a, b)", "FROM t x(a, b)").
var afterKeywords = setOf(
	"select", "distinct", "all", "where", "and", "or", "not", "on", "by", "when", "then", "else", "having", "is",
	"like", "ilike", "in", "between", "case", "from", "join", "lateral", "qualify", "limit", "offset", "any",
	"some", "using", "union", "intersect", "except", "exists", "similar", "to", "escape", "interval", "asc",
	"desc", "first", "last", "nulls", "partition", "sets", "over", "filter", "div", "mod", "glob", "regexp",
	"rlike", "overlaps", "at", "zone", "within", "group", "order", "table", "unnest", "return", "as", "end",
	"null", "true", "false", "collate", "xor", "row", "rows", "range", "groups", "preceding", "following",
	"unbounded", "current", "exclude", "ties", "others", "fetch", "next", "only", "with", "recursive", "values",
	"describe", "explain", "analyze", "sample", "tablesample", "pivot", "unpivot", "semi", "anti", "asof",
	"positional", "natural", "cross", "inner", "outer", "left", "right", "full", "window", "cube", "rollup",
)

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// AllowedFunction reports a function a statement may call (case-insensitive).
func AllowedFunction(name string) bool { return allowedFuncs[strings.ToLower(name)] }

// AllowedTableFunction reports a table function a FROM clause may call (case-insensitive).
func AllowedTableFunction(name string) bool { return allowedTableFuncs[strings.ToLower(name)] }
