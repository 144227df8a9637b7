package model

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// The configuration repository is read through an os.Root: no path leaves
// it, symbolic links included. A relative link that stays inside the
// repository is followed; an absolute link, or one whose target leaves
// the repository (even to come back), fails as if it led nowhere. So a
// change that links inventory/x.yaml to an operator's key can neither feed
// the key to the loader nor have a part of it quoted in an error.

// OpenRepo opens the repository in dir for reading inside it only.
func OpenRepo(dir string) (*os.Root, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("opening the configuration repository: %w", err)
	}
	return r, nil
}

// ReadRepoFile reads the file name (slash-separated, relative to the
// repository in dir) without leaving the repository. Errors name the
// file as given and say when it leads out of the repository.
func ReadRepoFile(dir, name string) ([]byte, error) {
	r, err := OpenRepo(dir)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data, err := r.ReadFile(name)
	if LeavesRepo(err) {
		return nil, &fs.PathError{Op: "read", Path: name, Err: ErrLeavesRepo}
	}
	return data, err
}

// ErrLeavesRepo says a path leads out of the repository.
var ErrLeavesRepo = errors.New("it leads out of the repository (an absolute symbolic link, or one to a file outside); only files inside the repository are read")

// LeavesRepo reports whether err is an os.Root refusing a path that leads
// out of the repository.
func LeavesRepo(err error) bool {
	for ; err != nil; err = errors.Unwrap(err) {
		// os.Root's error is not exported.
		if err == ErrLeavesRepo || err.Error() == "path escapes from parent" {
			return true
		}
	}
	return false
}

// CleanFSError says what went wrong with a file of the repository,
// without its path (the caller names the file).
func CleanFSError(err error) string {
	if LeavesRepo(err) {
		return ErrLeavesRepo.Error()
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
