// Putting a graph's nodes into topological order.

extension Graph {
  /// Reorders the nodes so that every node comes after the producers of the values it reads,
  /// including values its subgraphs capture. Nodes already in order keep their order; among
  /// nodes that are ready, the one listed first goes first. Returns false, changing nothing,
  /// when the nodes form a cycle.
  @discardableResult
  public func sortTopologically() -> Bool {
    let position = Dictionary(
      nodes.enumerated().map { (ObjectIdentifier($0.element), $0.offset) }, uniquingKeysWith: { a, _ in a })
    var waitingOn = [Int](repeating: 0, count: nodes.count)
    var dependents = [[Int]](repeating: [], count: nodes.count)
    for (index, node) in nodes.enumerated() {
      for value in node.valuesRead() {
        guard let producer = value.producer, let source = position[ObjectIdentifier(producer)],
          source != index
        else { continue }
        waitingOn[index] += 1
        dependents[source].append(index)
      }
    }
    var ready = MinHeap(waitingOn.indices.filter { waitingOn[$0] == 0 })
    var order: [Node] = []
    order.reserveCapacity(nodes.count)
    while let next = ready.pop() {
      order.append(nodes[next])
      for dependent in dependents[next] {
        waitingOn[dependent] -= 1
        if waitingOn[dependent] == 0 { ready.push(dependent) }
      }
    }
    guard order.count == nodes.count else { return false }
    setNodes(order)
    return true
  }
}

extension Node {
  /// The values this node reads: its inputs and every value its subgraphs read, captured
  /// outer values included (values defined inside the subgraphs are harmless extras).
  public func valuesRead() -> [Value] {
    var values = inputs.compactMap { $0 }
    for subgraph in subgraphs {
      for node in subgraph.nodes { values += node.valuesRead() }
      values += subgraph.outputs
    }
    return values
  }
}

/// A binary min-heap of node positions, so ready nodes leave in their original order.
private struct MinHeap {
  private var items: [Int] = []

  init(_ initial: [Int]) {
    for item in initial { push(item) }
  }

  mutating func push(_ item: Int) {
    items.append(item)
    var child = items.count - 1
    while child > 0 {
      let parent = (child - 1) / 2
      guard items[child] < items[parent] else { break }
      items.swapAt(child, parent)
      child = parent
    }
  }

  mutating func pop() -> Int? {
    guard let first = items.first else { return nil }
    let last = items.removeLast()
    if !items.isEmpty {
      items[0] = last
      var parent = 0
      while true {
        let left = 2 * parent + 1
        let right = left + 1
        var smallest = parent
        if left < items.count && items[left] < items[smallest] { smallest = left }
        if right < items.count && items[right] < items[smallest] { smallest = right }
        guard smallest != parent else { break }
        items.swapAt(parent, smallest)
        parent = smallest
      }
    }
    return first
  }
}
