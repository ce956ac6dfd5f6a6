/// A candidate or result of a nearest-neighbour search: a node (or row) and its distance.
public struct Neighbor: Sendable, Equatable, Hashable {
    public var distance: Float
    public var id: UInt32

    @inlinable
    public init(distance: Float, id: UInt32) {
        self.distance = distance
        self.id = id
    }

    /// Total order used everywhere results are ranked: closer first, lower id on ties
    /// (the convention of the TEXMEX ground-truth files).
    @inlinable @inline(__always)
    public static func closer(_ a: Neighbor, _ b: Neighbor) -> Bool {
        a.distance < b.distance || (a.distance == b.distance && a.id < b.id)
    }
}

/// A binary heap of ``Neighbor``s in storage it owns, reused across searches.
///
/// Search loops keep one min-heap (candidates to expand, closest on top) and one max-heap
/// (results so far, farthest on top). The heap allocates only when it grows past its capacity,
/// so a warmed-up heap makes no allocation and no reference-counting traffic per search.
/// push/pop are O(log n); `top` is O(1).
public struct NeighborHeap: ~Copyable {
    @usableFromInline var storage: UnsafeMutablePointer<Neighbor>
    @usableFromInline var capacity: Int
    @usableFromInline var _count: Int
    /// Number of elements in the heap.
    @inlinable @inline(__always)
    public var count: Int { _count }
    /// `true`: farthest on top; `false`: closest on top.
    @usableFromInline let farthestOnTop: Bool

    /// - Parameters:
    ///   - farthestOnTop: a max-heap by distance when `true` (result sets), a min-heap otherwise.
    ///   - capacity: initial room; the heap grows past it when needed.
    public init(farthestOnTop: Bool, capacity: Int = 64) {
        self.capacity = max(capacity, 4)
        self.storage = .allocate(capacity: self.capacity)
        self._count = 0
        self.farthestOnTop = farthestOnTop
    }

    deinit { storage.deallocate() }

    @inlinable @inline(__always)
    public var isEmpty: Bool { count == 0 }

    /// The element on top (farthest or closest). - Precondition: not empty.
    @inlinable @inline(__always)
    public var top: Neighbor { storage[0] }

    /// Removes every element, keeping the storage.
    @inlinable
    public mutating func removeAll() { _count = 0 }

    /// Whether `a` belongs above `b`.
    @inlinable @inline(__always)
    func above(_ a: Neighbor, _ b: Neighbor) -> Bool {
        farthestOnTop ? Neighbor.closer(b, a) : Neighbor.closer(a, b)
    }

    @inlinable
    public mutating func push(_ element: Neighbor) {
        if count == capacity { grow() }
        var index = count
        _count += 1
        while index > 0 {
            let parent = (index - 1) >> 1
            let parentElement = storage[parent]
            guard above(element, parentElement) else { break }
            storage[index] = parentElement
            index = parent
        }
        storage[index] = element
    }

    /// Removes and returns the top element. - Precondition: not empty.
    @inlinable
    @discardableResult
    public mutating func pop() -> Neighbor {
        let result = storage[0]
        _count -= 1
        if count > 0 {
            let last = storage[count]
            var index = 0
            while true {
                let left = 2 * index + 1
                if left >= count { break }
                let right = left + 1
                var child = left
                if right < count && above(storage[right], storage[left]) { child = right }
                guard above(storage[child], last) else { break }
                storage[index] = storage[child]
                index = child
            }
            storage[index] = last
        }
        return result
    }

    /// Replaces the top element with `element` (one sift instead of pop + push).
    /// - Precondition: not empty.
    @inlinable
    public mutating func replaceTop(with element: Neighbor) {
        pop()
        push(element)
    }

    /// Visits the elements in heap (not sorted) order.
    @inlinable
    public func forEach(_ body: (Neighbor) throws -> Void) rethrows {
        for i in 0..<count { try body(storage[i]) }
    }

    /// Empties the heap into `output`, closest first. O(n log n).
    /// Appends without reallocating when `output` has the capacity reserved.
    public mutating func drainSorted(into output: inout [Neighbor]) {
        let start = output.count
        while count > 0 { output.append(pop()) }
        if farthestOnTop { output.reverseInPlace(from: start) }
    }

    @usableFromInline
    mutating func grow() {
        let newCapacity = capacity * 2
        let newStorage = UnsafeMutablePointer<Neighbor>.allocate(capacity: newCapacity)
        newStorage.moveInitialize(from: storage, count: count)
        storage.deallocate()
        storage = newStorage
        capacity = newCapacity
    }
}

extension Array {
    /// Reverses `self[start...]` in place. Unlike `self[start...].reverse()`, which goes
    /// through a slice, it never copies the buffer, so hot paths stay allocation-free. O(n).
    @inlinable
    public mutating func reverseInPlace(from start: Int) {
        var low = start
        var high = count - 1
        while low < high {
            swapAt(low, high)
            low += 1
            high -= 1
        }
    }
}
