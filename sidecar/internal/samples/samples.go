// Package samples imports the sample datasets into a new install, once, each with a first snapshot, so that a
// new user's panel is never empty.
package samples

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/dataset"
)

// markerKey records in the store that the samples were imported, so a user who deletes a sample does not
// get it back on the next start, and many sidecars sharing a store import once.
const markerKey = "meta/samples-imported"

// metadataFile is each sample's metadata; every other file is a file of the dataset.
const metadataFile = "dataset.yaml"

type metadata struct {
	Description string            `yaml:"description"`
	Tags        []string          `yaml:"tags"`
	Labels      map[string]string `yaml:"labels"`
	Owner       string            `yaml:"owner"`
}

// ImportOnce imports every dataset in samples unless the store says it was done before. A dataset id that
// already exists is left alone. It returns the ids it imported.
func ImportOnce(ctx context.Context, engine *dataset.Engine, store blob.Store, samples fs.FS, version string, log *slog.Logger) ([]string, error) {
	if _, err := store.Stat(ctx, markerKey); err == nil {
		return nil, nil
	} else if !errors.Is(err, apierr.ErrNotFound) {
		return nil, err
	}
	dirs, err := fs.ReadDir(samples, ".")
	if err != nil {
		return nil, err
	}
	var imported []string
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		ok, err := importOne(ctx, engine, samples, d.Name(), version)
		if err != nil {
			return imported, fmt.Errorf("sample %s: %w", d.Name(), err)
		}
		if ok {
			imported = append(imported, d.Name())
			log.Info("imported sample dataset", "dataset", d.Name())
		}
	}
	_, err = store.Put(ctx, markerKey, strings.NewReader(version), blob.PutOptions{IfNoneMatch: true})
	if err != nil && !errors.Is(err, apierr.ErrAlreadyExists) {
		return imported, err
	}
	return imported, nil
}

func importOne(ctx context.Context, engine *dataset.Engine, samples fs.FS, id, version string) (bool, error) {
	raw, err := fs.ReadFile(samples, path.Join(id, metadataFile))
	if err != nil {
		return false, err
	}
	var m metadata
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		return false, fmt.Errorf("%s: %w", metadataFile, err)
	}
	_, err = engine.CreateDataset(ctx, id, dataset.Metadata{Description: m.Description, Tags: m.Tags, Labels: m.Labels, Owner: m.Owner})
	if errors.Is(err, apierr.ErrAlreadyExists) {
		return false, nil // a user's dataset, or another sidecar's import: not ours to touch
	}
	if err != nil {
		return false, err
	}
	err = fs.WalkDir(samples, id, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Base(p) == metadataFile {
			return err
		}
		f, err := samples.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = engine.WriteFile(ctx, id, strings.TrimPrefix(p, id+"/"), f, dataset.WriteOptions{})
		return err
	})
	if err != nil {
		return false, err
	}
	_, err = engine.CreateSnapshot(ctx, id, dataset.SnapshotOptions{Message: "Sample data shipped with kamld " + version, Author: m.Owner})
	return err == nil, err
}
