// Package datasets embeds the sample datasets in this folder so that every kamld binary can import them on a
// new install (see sidecar/internal/samples). Each sub-folder is one dataset: its name is the dataset id,
// dataset.yaml its metadata, and every other file a file of the dataset.
package datasets

import "embed"

// FS holds the sample datasets.
//
//go:embed */*
var FS embed.FS
