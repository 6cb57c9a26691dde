// Package archtest holds no code, only tests: the rules of the project's
// architecture (docs/architecture.md) checked against the source, so that a
// change that breaks one fails `make test` instead of waiting for a review.
//
//   - Packages depend one way: sdk below core, core below httpapi, warm and
//     cmd; plugins on sdk only; nothing outside sdk touches protobuf or
//     gRPC types.
//   - core never prints or exits: no fmt.Print, log output, os.Exit or
//     os.Stdout/os.Stderr outside its tests.
//   - The registry owns its format: no package but core/registry spells a
//     registry key.
package archtest
