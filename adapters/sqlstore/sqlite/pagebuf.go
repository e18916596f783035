package sqlite

import (
	"sync"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// Page buffers.
//
// When an insert splits a B-tree page in the middle of a tree (every
// entry of the tape's index on listing and time, for one), SQLite borrows
// a page-sized scratch buffer and gives it back when the split is done.
// The pure-Go SQLite gets its memory from an allocator that carves 64 KiB
// blocks, mapped from the kernel, into slots of one size, and unmaps a
// block as soon as its last slot is freed. Long-lived page-cache buffers
// share the scratch buffer's size class and fill their blocks, so a split
// usually finds no free slot: it maps a fresh block, uses one slot, and
// unmaps it on the way out. Two system calls per split, and the unmap
// makes the kernel flush the mapping from every core running the
// process; profiles of the feed showed a third of its CPU time in them.
//
// reservePageBuffers keeps, for the life of the process, a few blocks of
// that size class that cannot be unmapped (one slot of each stays
// allocated) and whose other slots are free, so that splits borrow and
// return those slots instead.
var reservePageBuffersOnce sync.Once

// pageBufferReserve is about how many free page-sized slots the reserve
// holds: enough for the splits of one write and the buffers the read
// connections drop and take again as they start transactions. The
// reserve keeps some 45 blocks (under 3 MiB) mapped.
const pageBufferReserve = 256

// The allocator's block: a slot's block is its address rounded down to
// it.
const allocatorBlock = 64 << 10

func reservePageBuffers() {
	reservePageBuffersOnce.Do(func() {
		tls := libc.NewTLS()
		defer tls.Close()
		// sqlite3_malloc asks the allocator for what SQLite's page
		// allocations ask for: the default page size plus SQLite's own
		// size header.
		held := map[uintptr]bool{}
		var spare []uintptr
		for range pageBufferReserve + pageBufferReserve/4 {
			p := sqlite3.Xsqlite3_malloc(tls, 4096)
			if p == 0 {
				break
			}
			if block := p &^ (allocatorBlock - 1); !held[block] {
				held[block] = true // kept: its block stays mapped
				continue
			}
			spare = append(spare, p)
		}
		for _, p := range spare {
			sqlite3.Xsqlite3_free(tls, p)
		}
	})
}
