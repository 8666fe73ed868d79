package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/kamld/kamld/sidecar/internal/compute"
	"github.com/kamld/kamld/sidecar/internal/compute/kubernetes/podhelper"
	"github.com/kamld/kamld/sidecar/internal/config"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/wiring/blobwiring"
)

// helperFlags are the flags both steps take. Failures are written to the container's termination log with a
// reason prefix (InputsFailed:, OutputsFailed:) that the Kubernetes backend reads.
type helperFlags struct {
	manifest, workdir, terminationLog string
}

// newFetchCommand is the init container's step.
func newFetchCommand(f *helperFlags) *cobra.Command {
	var install string
	fetch := &cobra.Command{
		Use:   "fetch",
		Short: "Write the working files, fetch the inputs and install this binary for the run container",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.step(compute.ReasonInputsFailed, func(m podhelper.Manifest, data compute.Data) error {
				if install != "" {
					if err := podhelper.Install(install); err != nil {
						return fmt.Errorf("installing the helper at %s: %w", install, err)
					}
				}
				return podhelper.Fetch(cmd.Context(), m, f.workdir, data)
			})
		},
	}
	fetch.Flags().StringVar(&install, "install", "", "copy this binary here for the run container")
	return fetch
}

// newRunCommand is the run container's step, around the user's command.
func newRunCommand(f *helperFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "run -- COMMAND [ARG...]",
		Short: "Run the command without a shell, then store the outputs if it exits 0",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, argv []string) error {
			return f.run(cmd, argv)
		},
	}
}

// run executes the command and, when it succeeds, stores the outputs and carries the exported environment
// back in the termination log. The helper exits with the command's
// code, so the Pod reports it; a failure to store the outputs exits 1 with reason OutputsFailed.
func (f helperFlags) run(cmd *cobra.Command, argv []string) error {
	// A manifest the helper cannot read fails the run before the command, not after it.
	if _, err := podhelper.ReadManifest(f.manifest); err != nil {
		return f.fail(compute.ReasonOutputsFailed, err)
	}
	code, err := podhelper.Exec(cmd.Context(), argv, f.workdir, podhelper.ChildEnv(os.Environ()), os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kamld-job-helper:", err)
	}
	if code != 0 {
		os.Exit(code)
	}
	return f.step(compute.ReasonOutputsFailed, func(m podhelper.Manifest, data compute.Data) error {
		export, err := podhelper.StoreOutputs(cmd.Context(), m, f.workdir, data)
		if err != nil {
			return err
		}
		return f.carry(export)
	})
}

// carry writes the exported environment to the termination log, the only way it leaves the Pod.
func (f helperFlags) carry(export []byte) error {
	if export == nil || f.terminationLog == "" {
		return nil
	}
	if err := os.WriteFile(f.terminationLog, []byte(podhelper.ExportMessage(export)), 0o644); err != nil {
		return fmt.Errorf("carrying the exported environment in %s: %w", f.terminationLog, err)
	}
	return nil
}

// step reads the manifest, opens the object store if the run needs it, and runs fn; any failure is recorded
// under reason and exits 1.
func (f helperFlags) step(reason string, fn func(podhelper.Manifest, compute.Data) error) error {
	m, err := podhelper.ReadManifest(f.manifest)
	if err != nil {
		return f.fail(reason, err)
	}
	var data compute.Data
	if m.NeedsData() {
		if data, err = storeData(); err != nil {
			return f.fail(reason, err)
		}
	}
	if err := fn(m, data); err != nil {
		return f.fail(reason, err)
	}
	return nil
}

// storeData opens the object store from the KAMLD_BLOB_* environment (the Pod's store Secret).
func storeData() (compute.Data, error) {
	cfg, err := config.Load(nil, os.Environ())
	if err != nil {
		return nil, err
	}
	store, err := blobwiring.Store(cfg)
	if err != nil {
		return nil, err
	}
	return compute.NewDatasetData(dataset.New(store)), nil
}

// fail writes "<reason>: <error>" to the termination log (best effort: outside a Pod there may be none) and
// returns the error, which makes the helper exit 1.
func (f helperFlags) fail(reason string, err error) error {
	if f.terminationLog != "" {
		_ = os.WriteFile(f.terminationLog, []byte(podhelper.FailureMessage(reason, err)), 0o644)
	}
	return fmt.Errorf("%s: %w", reason, err)
}
